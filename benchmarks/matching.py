"""Matching benchmark: generator -> import -> match, scored against the generator's ground truth.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/matching.py --scale small|bristol [--workdir DIR]

Prints, for the Splink run and for a deterministic baseline (exact forename +
surname + date of birth): pairwise precision/recall/F1 and cluster figures
(B-cubed precision/recall, share of true persons recovered exactly). Also:
blocking recall (true pairs reachable by the prediction blocking rules),
current-household pairwise accuracy, seconds per stage, an incremental run of
5,000 unlinked rows, and peak resident memory of this process (DuckDB runs
in-process, so it is included).

The unit of evaluation is a dataset's record of a person (dataset + source key):
the 40 rows one person has in one event extract count once.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from math import comb
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from apps.matching import services, splink_model  # noqa: E402
from apps.matching.models import MatchRun  # noqa: E402
from apps.people.models import AddressHistory, FamilyMembership, Household  # noqa: E402
from apps.sources.models import SourceRecord  # noqa: E402


def pairwise(pred: dict, truth: dict) -> tuple[float, float, float]:
    cells = Counter((pred[u], truth[u]) for u in truth)
    tp = sum(comb(n, 2) for n in cells.values())
    pp = sum(comb(n, 2) for n in Counter(pred[u] for u in truth).values())
    tt = sum(comb(n, 2) for n in Counter(truth.values()).values())
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def cluster_figures(pred: dict, truth: dict) -> tuple[float, float, float]:
    cells = Counter((pred[u], truth[u]) for u in truth)
    pred_size = Counter(pred[u] for u in truth)
    true_size = Counter(truth.values())
    n = len(truth)
    bp = sum(c * c / pred_size[p] for (p, _), c in cells.items()) / n
    br = sum(c * c / true_size[t] for (_, t), c in cells.items()) / n
    exact = sum(1 for (p, t), c in cells.items() if c == pred_size[p] == true_size[t]) / len(true_size)
    return bp, br, exact


def report(name: str, pred: dict, truth: dict) -> None:
    p, r, f = pairwise(pred, truth)
    bp, br, exact = cluster_figures(pred, truth)
    print(f"{name:<26} pairwise P {p:.4f}  R {r:.4f}  F1 {f:.4f} | B-cubed P {bp:.4f}  R {br:.4f} | "
          f"true persons recovered exactly {exact:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("small", "bristol"), default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the generated files here")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="matching-bench-"))
    timings = {}

    started = time.perf_counter()
    call_command("synth", scale=args.scale, seed=args.seed, out=str(workdir))
    timings["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    call_command("import_all", workdir)
    timings["import"] = time.perf_counter() - started

    run = services.match_run_create(kind=MatchRun.Kind.FULL)
    run = services.match_run_execute(run=run)
    if run.status != MatchRun.Status.COMPLETED:
        sys.exit(f"match run failed: {run.failure_reason}")
    for stage, seconds in run.timings.items():
        timings[f"match: {stage}"] = seconds

    truth: dict[tuple[str, str], str] = {}
    with (workdir / "ground_truth" / "records.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[(row["dataset"], row["source_key"])] = row["person_id"]
    votes: dict[tuple, Counter] = defaultdict(Counter)
    identity: dict[tuple, tuple] = {}
    rows = SourceRecord.objects.filter(batch__is_current=True).values_list(
        "dataset__code", "source_key", "person_id", "forename", "surname", "date_of_birth")
    for code, key, person, fn, sn, dob in rows.iterator(chunk_size=20000):
        votes[(code, key)][person] += 1
        identity[(code, key)] = (fn, sn, dob) if fn and sn and dob else ("unit", code, key)
    units = {u: t for u, t in truth.items() if u in votes}
    pred = {u: votes[u].most_common(1)[0][0] for u in units}
    baseline = {u: identity[u] for u in units}
    print(f"\nscale {args.scale}: {len(units)} dataset records of {len(set(units.values()))} true persons "
          f"({run.counts.get('records')} rows, {run.counts.get('profiles')} profiles)")
    report("Splink", pred, units)
    report("Baseline exact name + DOB", baseline, units)

    # blocking recall: true pairs of distinct profiles that some prediction rule reaches
    con = splink_model.connect(memory_limit="1GB", temp_directory=str(workdir / "spill"))
    from apps.matching.pipeline import _build_profiles, _export  # noqa: PLC0415

    _export(con, SourceRecord.objects.filter(batch__is_current=True), "records", workdir)
    _build_profiles(con, "records", "profiles")
    record_truth = {}
    for pk, code, key in SourceRecord.objects.filter(batch__is_current=True).values_list("pk", "dataset__code", "source_key").iterator(chunk_size=20000):
        if (code, key) in truth:
            record_truth[pk] = truth[(code, key)]
    import pyarrow as pa  # noqa: PLC0415

    con.register("truth_arrow", pa.table({"id": list(record_truth), "truth": list(record_truth.values())}))
    con.execute("CREATE TABLE pt AS SELECT DISTINCT r.profile_id, t.truth FROM records r JOIN truth_arrow t USING (id)")
    rules = " OR ".join(f"({rule})" for rule in splink_model.BLOCKING_RULES_FOR_PREDICTION)
    total, reached = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {rules}) FROM pt a JOIN pt b ON a.truth = b.truth AND a.profile_id < b.profile_id "
        "JOIN profiles l ON l.unique_id = a.profile_id JOIN profiles r ON r.unique_id = b.profile_id"
    ).fetchall()[0]
    print(f"blocking recall: {reached}/{total} true profile pairs reachable = {reached / max(total, 1):.4f}")

    # households: pairs of true persons living together now, found in one current household
    person_of_truth: dict[str, Counter] = defaultdict(Counter)
    for u, t in units.items():
        person_of_truth[t][pred[u]] += 1
    mapped = {t: c.most_common(1)[0][0] for t, c in person_of_truth.items()}
    true_households = defaultdict(set)
    with (workdir / "ground_truth" / "households.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["date_to"] and row["person_id"] in mapped:
                true_households[row["household_id"]].add(mapped[row["person_id"]])
    current = Household.objects.filter(date_to__isnull=True)
    predicted_home = {}

    for pid, address in AddressHistory.objects.filter(date_to__isnull=True).values_list("person_id", "address_id"):
        predicted_home[pid] = address
    together = sum(comb(len(m), 2) for m in true_households.values())
    found = sum(1 for m in true_households.values() for a in m for b in m
                if a < b and predicted_home.get(a) is not None and predicted_home.get(a) == predicted_home.get(b))
    print(f"households: {found}/{together} current co-resident pairs share a current address = {found / max(together, 1):.4f}; "
          f"{current.count()} current households, {FamilyMembership.objects.values('family').distinct().count()} families")

    # incremental: unlink up to 5,000 rows of one dataset and link them again
    code = "asc-offenders"
    ids = list(SourceRecord.objects.filter(batch__is_current=True, dataset__code=code).values_list("pk", flat=True)[:5000])
    with transaction.atomic():
        SourceRecord.objects.filter(pk__in=ids).update(person=None, match_probability=None)
    started = time.perf_counter()
    inc = services.match_run_execute(run=services.match_run_create(kind=MatchRun.Kind.INCREMENTAL,
                                                                   dataset=_dataset(code)))
    timings[f"incremental ({len(ids)} rows of {code})"] = time.perf_counter() - started
    print(f"incremental run: {inc.status}, {inc.counts}")

    print("\nseconds per stage")
    for stage, seconds in timings.items():
        print(f"  {stage:<44} {seconds:8.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")


def _dataset(code):
    from apps.sources.models import Dataset  # noqa: PLC0415

    return Dataset.objects.get(code=code)


if __name__ == "__main__":
    main()
