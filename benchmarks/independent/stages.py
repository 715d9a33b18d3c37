"""Where the true pairs the product did not link were lost, stage by stage (JSON on stdout).

    DATABASE_URL=... python benchmarks/independent/stages.py TRUTH_CSV

Run with the database of one benchmark run (as ``assignment.py``), after ``manage.py
match``. Reads the last completed full run's model and thresholds, exports the current
records and builds their profiles as the run did (``duckdb_io``, ``profiles``), scores
*every* pair the prediction blocking rules generate (no threshold) with the family
guard's verdict (``splink_model.GUARD_SQL``), and for each true pair of units (dataset,
source key) that did not end in one person says where it was lost:

* ``blocking``: no profile of one unit was ever compared with a profile of the other;
* ``below review``: compared, best score below the review threshold;
* ``grey, queued``: review threshold <= score < match threshold, guard not ``apart``;
* ``guard review, queued``: score >= match threshold, guard verdict ``review``;
* ``guard apart``: guard verdict ``apart`` (dropped, never queued) at or above the review threshold;
* ``split by clustering``: linked pairwise (>= match threshold, guard ``link``) but the
  clusters were kept apart (identifier or date-of-birth conflict check, ``clustering.cluster``).

A unit's rows may fall into several profiles; the pair is counted at the furthest
stage any of its profile pairs reached (in the order: split, guard review, grey, apart,
below, blocking). Also: the pairwise precision and recall if reviewers confirmed every
pair actually in the review queue (``ClericalPair``), the queue being part of the product.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from math import comb
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django

django.setup()

from apps.matching import duckdb_io, profiles, splink_model
from apps.matching.config import MatchingConfig
from apps.matching.models import ClericalPair, MatchRun
from apps.sources.models import SourceRecord

STAGES = ("blocking", "below review", "grey, queued", "guard review, queued", "guard apart", "split by clustering")
# furthest first: a unit pair is counted at the first of these any of its profile pairs reached
RANK = ("split by clustering", "guard review, queued", "grey, queued", "guard apart", "below review", "blocking")


def pairwise(pred: dict, truth: dict) -> tuple[float, float]:
    cells = Counter((pred[u], truth[u]) for u in truth)
    tp = sum(comb(n, 2) for n in cells.values())
    pp = sum(comb(n, 2) for n in Counter(pred[u] for u in truth).values())
    tt = sum(comb(n, 2) for n in Counter(truth.values()).values())
    return (tp / pp if pp else 1.0), (tp / tt if tt else 1.0)


def stage_of(p: float | None, verdict: str | None, config: MatchingConfig) -> str:
    if p is None:
        return "blocking"
    if p < config.review_threshold:
        return "below review"
    if verdict == "apart":
        return "guard apart"
    if p < config.match_threshold:
        return "grey, queued"
    return "guard review, queued" if verdict == "review" else "split by clustering"


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        truth = {(r["dataset"], r["source_key"]): r["person_id"] for r in csv.DictReader(handle)}
    run = MatchRun.objects.filter(kind=MatchRun.Kind.FULL, status=MatchRun.Status.COMPLETED).order_by("-pk").first()
    config = MatchingConfig.for_run(run)
    unit_of: dict[int, tuple[str, str]] = {}
    person_votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for rid, code, key, person in SourceRecord.objects.filter(batch__is_current=True).values_list(
        "pk", "dataset__code", "source_key", "person_id"
    ).iterator(chunk_size=20000):
        unit_of[rid] = (code, key)
        person_votes[(code, key)][person] += 1
    pred = {u: (c.most_common(1)[0][0] or ("unlinked", *u)) for u, c in person_votes.items()}
    units = {u: t for u, t in truth.items() if u in pred}

    with tempfile.TemporaryDirectory() as workdir:
        con = splink_model.connect(memory_limit="2GB", temp_directory=str(Path(workdir) / "spill"), threads=2)
        duckdb_io.export(con, duckdb_io.current_records(), "records", Path(workdir))
        profiles.build(con, "records", "profiles")
        unit_profiles: dict[tuple[str, str], set[int]] = defaultdict(set)
        for rid, pid in profiles.of_records(con, "records").items():
            unit_profiles[unit_of[rid]].add(pid)
        linker, _ = splink_model._linker(con, "profiles", copy.deepcopy(run.model))
        scored = linker.inference.predict(threshold_match_probability=None, warning_mode="never")
        rows = con.execute(
            f"SELECT least(unique_id_l, unique_id_r), greatest(unique_id_l, unique_id_r), match_probability, "
            f"{splink_model.GUARD_SQL} FROM {scored.physical_name}"
        ).fetchall()
        con.close()
    best = {(a, b): (p, v) for a, b, p, v in rows}

    members = defaultdict(list)
    for unit, person in units.items():
        members[person].append(unit)
    lost = Counter()
    for group in members.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if pred[a] == pred[b]:
                    continue
                reached = set()
                for pa_ in unit_profiles[a]:
                    for pb in unit_profiles[b]:
                        p, v = best.get((min(pa_, pb), max(pa_, pb)), (None, None))
                        reached.add(stage_of(p, v, config))
                lost[next(s for s in RANK if s in reached)] += 1

    # recall if reviewers confirmed every queued pair: join the queued pairs' persons
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    queued = list(ClericalPair.objects.values_list("record_low_id", "record_high_id"))
    for low, high in queued:
        if low in unit_of and high in unit_of:
            parent[find(pred[unit_of[low]])] = find(pred[unit_of[high]])
    confirmed = {u: find(p) for u, p in pred.items()}
    precision, recall = pairwise(pred, units)
    q_precision, q_recall = pairwise(confirmed, units)
    json.dump({
        "match_threshold": config.match_threshold, "review_threshold": config.review_threshold,
        "lost": {s: lost[s] for s in STAGES}, "missed": sum(lost.values()), "queue": len(queued),
        "linked": {"precision": precision, "recall": recall},
        "queue confirmed": {"precision": q_precision, "recall": q_recall},
    }, sys.stdout)


if __name__ == "__main__":
    main()
