"""Matching benchmark: generator -> import -> match, scored against the generator's ground truth.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/matching.py --scale small|bristol \
        [--workdir DIR] [--reuse] [--examples N] [--no-incremental] [--no-families]

Prints, for the Splink run and for a deterministic baseline (exact forename +
surname + date of birth): pairwise precision/recall/F1 and cluster figures
(B-cubed precision/recall, share of true persons recovered exactly). Also:
blocking recall (true pairs reachable by the prediction blocking rules),
household and family accuracy against ``ground_truth/households.csv`` and address -> UPRN
accuracy against ``ground_truth/records.csv`` (the gazetteer is imported after the extracts), seconds
per stage, an incremental run of 5,000 unlinked rows, and peak resident memory
of this process (DuckDB runs in-process, so it is included).

The unit of evaluation is a dataset's record of a person (dataset + source key):
the 40 rows one person has in one event extract count once.

``--workdir DIR`` keeps the extract; with ``--reuse`` an extract already in DIR
is not generated again, and records already imported into the database are not
imported again (use a database of its own). ``--examples N`` prints N false
merges and N missed links with the generator's noise kinds, to see what the
model gets wrong.
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

import django

django.setup()

import pyarrow as pa
from django.core.management import call_command
from django.db import transaction

from apps.gazetteer import evaluation
from apps.matching import duckdb_io, profiles, services, splink_model
from apps.matching.models import MatchRun
from apps.matching.projection.persons import record_homes
from apps.matching.projection.records import linked_persons, records_of
from apps.people.models import Household
from apps.sources.models import Dataset, SourceRecord

INCREMENTAL_DATASET = "asc-offenders"
INCREMENTAL_ROWS = 5000


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


def print_examples(pred: dict, truth: dict, noise: dict, identity: dict, limit: int) -> None:
    """False merges (one predicted person, several true ones) and missed links (the reverse)."""
    def show(units):
        for u in sorted(units, key=lambda u: truth[u]):
            fn, sn, dob, sex, pc = identity[u]
            print(f"    {truth[u]}  {u[0]:<28} {u[1]:<18} {fn or '-':<12} {sn or '-':<14} {dob} {sex or '-'} "
                  f"{pc or '-':<9} noise={noise.get(u) or '-'}")

    for label, group_of, other_of in (("false merges", pred, truth), ("missed links", truth, pred)):
        groups = defaultdict(list)
        for u in truth:
            groups[group_of[u]].append(u)
        bad = [g for g in groups.values() if len({other_of[u] for u in g}) > 1]
        print(f"\n{label}: {len(bad)} groups; first {min(limit, len(bad))}")
        for units in bad[:limit]:
            print("  --")
            show(units)


def household_figures(workdir: Path, pred: dict, units: dict) -> None:
    """Current families (linear: apps/gazetteer/evaluation.py), address -> UPRN accuracy, households formed."""
    person_of_truth: dict[str, Counter] = defaultdict(Counter)
    for u, t in units.items():
        person_of_truth[t][pred[u]] += 1
    mapped = {t: c.most_common(1)[0][0] for t, c in person_of_truth.items()}
    f = evaluation.family_figures(workdir / "ground_truth", mapped)
    print(f"families now: {f['formed']} open families formed, {f['true']} true current families; co-member pairs "
          f"P {f['pairs_precision']:.4f} R {f['pairs_recall']:.4f} F1 {f['pairs_f1']:.4f}; "
          f"true families recovered exactly {f['recovered_exactly']:.4f}")
    a = evaluation.uprn_accuracy(workdir / "ground_truth")
    print(f"address -> UPRN: {a['records']} agency records, accuracy {a['accuracy']:.4f} "
          f"({a['records_without_a_usable_sent_uprn']} without a usable UPRN sent: {a['accuracy_without_sent_uprn']:.4f}); "
          f"outcomes {a['outcomes']}; {a['distinct_addresses']} distinct addresses, {a['queue']} in the officer's queue; "
          f"residence spells placed on the true UPRN {a['residence_spell_accuracy']:.4f} of {a['residence_spells']}")
    persons = linked_persons()
    homes = (record_homes(records_of(persons[i:i + 20_000])) for i in range(0, len(persons), 20_000))
    placed = evaluation.placed_accuracy(workdir / "ground_truth", homes)
    print(f"address -> UPRN after placing buildings sent without a flat in the person's flat: {placed['records']} linked "
          f"agency records, accuracy {placed['accuracy']:.4f}; {placed['outcomes']}")
    true_households = set()
    with (workdir / "ground_truth" / "households.csv").open(encoding="utf-8") as handle:
        true_households.update(row["household_id"] for row in csv.DictReader(handle))
    print(f"households: {Household.objects.count()} formed over time ({Household.objects.filter(date_to__isnull=True).count()} "
          f"current), {len(true_households)} true households over time")


def blocking_recall(workdir: Path, truth: dict) -> None:
    """True pairs of distinct profiles that some prediction rule reaches."""
    con = splink_model.connect(memory_limit="2GB", temp_directory=str(workdir / "spill"))
    duckdb_io.export(con, SourceRecord.objects.filter(batch__is_current=True), "records", workdir)
    profiles.build(con, "records", "profiles")
    record_truth = {}
    rows = SourceRecord.objects.filter(batch__is_current=True).values_list("pk", "dataset__code", "source_key")
    for pk, code, key in rows.iterator(chunk_size=20000):
        if (code, key) in truth:
            record_truth[pk] = truth[(code, key)]
    con.register("truth_arrow", pa.table({"id": list(record_truth), "truth": list(record_truth.values())}))
    con.execute("CREATE TABLE pt AS SELECT DISTINCT r.profile_id, t.truth FROM records r JOIN truth_arrow t USING (id)")
    counts = splink_model.comparison_count(con, "profiles")
    print("comparisons from blocking (Splink's count, exact), marginal per prediction rule:")
    for row in counts:
        print(f"  {row['marginal_comparison_count']:>12,}  {row['blocking_rule']}")
    print(f"  {counts[-1]['cumulative_comparison_count']:>12,}  in all")
    rules = " OR ".join(f"({rule})" for rule in splink_model.BLOCKING_RULES_FOR_PREDICTION)
    total, reached = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {rules}) FROM pt a JOIN pt b ON a.truth = b.truth "
        "AND a.profile_id < b.profile_id "
        "JOIN profiles l ON l.unique_id = a.profile_id JOIN profiles r ON r.unique_id = b.profile_id"
    ).fetchall()[0]
    con.close()
    print(f"blocking recall: {reached}/{total} true profile pairs reachable = {reached / max(total, 1):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("small", "bristol"), default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the generated files here")
    parser.add_argument("--reuse", action="store_true", help="reuse the extract in --workdir and records already imported")
    parser.add_argument("--examples", type=int, default=0, help="print this many false merges and missed links")
    parser.add_argument("--no-incremental", action="store_true", help="skip the incremental run")
    parser.add_argument("--no-families", action="store_true", help="skip the household and family figures")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="matching-bench-"))
    timings = {}

    if not (args.reuse and (workdir / "manifest.json").exists()):
        started = time.perf_counter()
        call_command("synth", scale=args.scale, seed=args.seed, out=str(workdir))
        timings["generate"] = time.perf_counter() - started
    if not (args.reuse and SourceRecord.objects.filter(batch__is_current=True).exists()):
        started = time.perf_counter()
        call_command("import_all", workdir)
        call_command("import_gazetteer", workdir / "gazetteer.csv")
        timings["import"] = time.perf_counter() - started

    run = services.match_run_create(kind=MatchRun.Kind.FULL)
    run = services.match_run_execute(run=run)
    if run.status != MatchRun.Status.COMPLETED:
        sys.exit(f"match run failed: {run.failure_reason}")
    for stage, seconds in run.timings.items():
        timings[f"match: {stage}"] = seconds

    truth: dict[tuple[str, str], str] = {}
    noise: dict[tuple[str, str], str] = {}
    with (workdir / "ground_truth" / "records.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[(row["dataset"], row["source_key"])] = row["person_id"]
            noise[(row["dataset"], row["source_key"])] = row["noise"]
    votes: dict[tuple, Counter] = defaultdict(Counter)
    identity: dict[tuple, tuple] = {}
    rows = SourceRecord.objects.filter(batch__is_current=True).values_list(
        "dataset__code", "source_key", "person_id", "forename", "surname", "date_of_birth", "sex", "postcode")
    for code, key, person, fn, sn, dob, sex, postcode in rows.iterator(chunk_size=20000):
        votes[(code, key)][person] += 1
        identity[(code, key)] = (fn, sn, dob, sex, postcode)
    units = {u: t for u, t in truth.items() if u in votes}
    pred = {u: votes[u].most_common(1)[0][0] for u in units}
    baseline = {u: identity[u][:3] if all(identity[u][:3]) else ("unit", *u) for u in units}
    print(f"\nscale {args.scale}: {len(units)} dataset records of {len(set(units.values()))} true persons "
          f"({run.counts.get('records')} rows, {run.counts.get('profiles')} profiles)")
    report("Splink", pred, units)
    report("Baseline exact name + DOB", baseline, units)
    if args.examples:
        print_examples(pred, units, noise, identity, args.examples)

    blocking_recall(workdir, truth)
    if not args.no_families:
        household_figures(workdir, pred, units)

    if not args.no_incremental:
        # unlink up to 5,000 rows of one dataset and link them again
        ids = list(SourceRecord.objects.filter(batch__is_current=True, dataset__code=INCREMENTAL_DATASET)
                   .order_by("pk").values_list("pk", flat=True)[:INCREMENTAL_ROWS])
        with transaction.atomic():
            SourceRecord.objects.filter(pk__in=ids).update(person=None, match_probability=None)
        started = time.perf_counter()
        inc = services.match_run_execute(run=services.match_run_create(
            kind=MatchRun.Kind.INCREMENTAL, dataset=Dataset.objects.get(code=INCREMENTAL_DATASET)))
        timings[f"incremental ({len(ids)} rows of {INCREMENTAL_DATASET})"] = time.perf_counter() - started
        print(f"incremental run: {inc.status}, {inc.counts}")

    print("\nseconds per stage")
    for stage, seconds in timings.items():
        print(f"  {stage:<44} {seconds:8.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
