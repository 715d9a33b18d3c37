"""Accuracy from reviewers' labels and the grey-zone explanations, measured after ``benchmarks/matching.py``.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/review_labels.py --workdir DIR [--share 1.0]

Run it on the database and ``--workdir`` that ``benchmarks/matching.py --workdir DIR`` left. It plays a
perfect reviewer: every queued grey-zone pair (or ``--share`` of them) is decided from the generator's
ground truth (``DIR/ground_truth/records.csv``). Then a full run with the last run's model (no training)
measures precision and recall against those labels (``MatchRun.accuracy``). Prints the labels, the
table, the explain stage's seconds, and the largest difference between a pair's waterfall and its stored
probability. The decisions stay in the database (use one of its own).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django

django.setup()

from django.contrib.auth import get_user_model

from apps.matching import explain, services
from apps.matching.models import ClericalPair, MatchRun, ReviewDecision


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--share", type=float, default=1.0, help="share of the queued pairs to decide")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with (args.workdir / "ground_truth" / "records.csv").open(encoding="utf-8") as handle:
        truth = {(r["dataset"], r["source_key"]): r["person_id"] for r in csv.DictReader(handle)}
    previous = services.last_full_run()
    pairs = list(ClericalPair.objects.select_related("record_low__dataset", "record_high__dataset"))
    deviation = max((abs(explain.waterfall(p.explanation)[-1].cumulative_probability - p.match_probability)
                     for p in pairs if p.explanation), default=None)
    print(f"queued pairs {len(pairs)}, explained {sum(1 for p in pairs if p.explanation)}, "
          f"largest |waterfall - stored probability| {deviation}")
    random.Random(args.seed).shuffle(pairs)
    reviewer, _ = get_user_model().objects.get_or_create(username="benchmark-reviewer")
    decided = 0
    for pair in pairs[: round(len(pairs) * args.share)]:
        keys = [(r.dataset.code, r.source_key) for r in (pair.record_low, pair.record_high)]
        if keys[0] == keys[1] or any(k not in truth for k in keys):
            continue
        same = truth[keys[0]] == truth[keys[1]]
        outcome = ReviewDecision.Outcome.MATCH if same else ReviewDecision.Outcome.NOT_MATCH
        services.review_decision_record(pair=pair, outcome=outcome, user=reviewer, score_shown=False)
        decided += 1
    print(f"decided {decided} pairs from the ground truth ({ReviewDecision.objects.count()} decisions in all)")
    run = services.match_run_start(model=previous.model)
    assert run.status == MatchRun.Status.COMPLETED, run.failure_reason
    a = run.accuracy
    print(f"labels {a['labels']} (same person {a['positives']}, not {a['negatives']}); blocked out {a['blocked_out']}, "
          f"guarded {a['guarded']}; enough to trust: {explain.enough_labels(a)}")
    print(f"{'threshold':>10} {'TP':>5} {'FP':>5} {'FN':>5} {'TN':>5} {'precision':>10} {'recall':>8}")
    for row in a["rows"]:
        fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
        print(f"{row['threshold']:>10g} {row['tp']:>5} {row['fp']:>5} {row['fn']:>5} {row['tn']:>5} "
              f"{fmt(row['precision']):>10} {fmt(row['recall']):>8}")
    print(f"explain stage {run.timings.get('explain')} s, review queue now {run.counts.get('review_queued')}, "
          f"explained {run.counts.get('review_explained')}")


if __name__ == "__main__":
    main()
