"""Independent benchmarks: the product's import and match, unchanged, against plain Splink.

    .venv/bin/python benchmarks/independent/run.py [--postgres-url postgres://postgres@127.0.0.1:5432/NAME]
        [--bench synthetic-independent febrl1 febrl3 febrl4] [--people 5000] [--seed 1] [--workdir DIR]

For each benchmark: write its extracts (the independent corruption model on the
generator's clean truth, or FEBRL converted), make a fresh database (PostgreSQL
``<NAME>_<bench>``, dropped and created, or a new SQLite file when no URL is given),
``manage.py migrate``, then ``manage.py import_extract DATASET FILE`` for every file and
``manage.py match`` as a council would, read the person each record was linked to, and
score it against the truth; then run plain Splink (plain_splink.py) on the same
records. Prints pairwise precision, recall and F1, clusters against true persons, and
seconds, side by side. Whatever matcher is on the checkout it runs from is measured.

The unit of evaluation is a dataset's record of a person (dataset, source_key), as in
benchmarks/matching.py: an event extract's several rows about one record count once.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from math import comb
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from benchmarks.independent import corrupt, febrl, plain_splink
from benchmarks.independent.importformat import read_corruption, read_truth

PYTHON = sys.executable
BENCHES = ("synthetic-independent", "febrl1", "febrl2", "febrl3", "febrl4")
DEFAULT_BENCHES = ("synthetic-independent", "febrl1", "febrl3", "febrl4")
# as in stages.py (which imports Django, so it runs in a subprocess against the benchmark's database)
STAGE_NAMES = ("blocking", "below review", "grey, queued", "guard review, queued", "guard apart",
               "split by clustering")


# --- scores ----------------------------------------------------------------------------------------

def pairwise(pred: dict, truth: dict) -> tuple[float, float, float]:
    cells = Counter((pred[u], truth[u]) for u in truth)
    tp = sum(comb(n, 2) for n in cells.values())
    pp = sum(comb(n, 2) for n in Counter(pred[u] for u in truth).values())
    tt = sum(comb(n, 2) for n in Counter(truth.values()).values())
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def exact_clusters(pred: dict, truth: dict) -> float:
    cells = Counter((pred[u], truth[u]) for u in truth)
    pred_size = Counter(pred[u] for u in truth)
    true_size = Counter(truth.values())
    return sum(1 for (p, t), c in cells.items() if c == pred_size[p] == true_size[t]) / len(true_size)


def scores(pred: dict, truth: dict) -> dict:
    p, r, f = pairwise(pred, truth)
    return {"precision": p, "recall": r, "f1": f, "clusters": len({pred[u] for u in truth}),
            "exact": exact_clusters(pred, truth)}


# Errors that leave the names and the date of birth as they were (address, identifiers, case, keys).
NAME_AND_DOB_KEPT = {
    "town_dropped", "locality_dropped", "street_abbreviated", "postcode_no_space", "postcode_lower", "uprn_missing",
    "nhs_missing", "ni_missing", "upn_missing", "flat_variant", "duplicate_record", "random_case",
    "diacritics_dropped", "fixed_width", "sex_missing", "earlier_address", "febrl",
}


def missed_by_error(pred: dict, truth: dict, corruption: dict) -> list[tuple[str, int, int]]:
    """For each error kind: true pairs where it is the only error besides those in NAME_AND_DOB_KEPT,
    and how many of those the clustering missed. Pairs with only such errors count under "none"."""
    members = defaultdict(list)
    for unit, person in truth.items():
        members[person].append(unit)
    total, missed = Counter(), Counter()
    for units in members.values():
        for i, a in enumerate(units):
            for b in units[i + 1:]:
                kinds = (corruption[a] | corruption[b]) - NAME_AND_DOB_KEPT
                if len(kinds) > 1:
                    continue
                kind = kinds.pop() if kinds else "none"
                total[kind] += 1
                missed[kind] += pred[a] != pred[b]
    return sorted(((k, missed[k], total[k]) for k in total), key=lambda x: (-x[1] / x[2], -x[2]))


# --- databases -------------------------------------------------------------------------------------

def fresh_database(base_url: str | None, bench: str, workdir: Path) -> dict:
    """Environment for manage.py pointing at a new, empty database for this benchmark."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "THINKFAMILY_VAR_DIR")}
    if base_url:
        import psycopg2

        parts = urlparse(base_url)
        name = f"{parts.path.lstrip('/')}_{bench.replace('-', '_')}"
        admin = psycopg2.connect(urlunparse(parts._replace(path="/postgres")))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        env["DATABASE_URL"] = urlunparse(parts._replace(path=f"/{name}"))
    else:
        var = workdir / f"var-{bench}"
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        env["THINKFAMILY_VAR_DIR"] = str(var)
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)


# --- one benchmark -----------------------------------------------------------------------------------

def prepare(bench: str, workdir: Path, people: int, seed: int) -> Path:
    out = workdir / bench
    shutil.rmtree(out, ignore_errors=True)
    if bench == "synthetic-independent":
        truth_dir = workdir / "generator-truth"
        if not (truth_dir / "ground_truth" / "people.csv").exists():
            # only the clean truth is used; the generator's own noisy extracts are ignored
            result = subprocess.run([PYTHON, str(ROOT / "manage.py"), "synth", "--scale", "small", "--people",
                                     str(people), "--seed", str(seed), "--out", str(truth_dir)],
                                    cwd=ROOT, capture_output=True, text=True, check=False)
            if result.returncode:
                sys.exit(f"synth failed:\n{result.stderr}")
        corrupt.build(truth_dir, out, seed=seed)
    else:
        febrl.convert(bench, out)
    return out


def run_product(extract: Path, env: dict) -> tuple[dict, dict, list[str]]:
    timings, problems = {}, []
    started = time.perf_counter()
    result = manage(env, "migrate", "--verbosity", "0")
    if result.returncode:
        sys.exit(f"migrate failed:\n{result.stderr[-3000:]}")
    timings["migrate"] = time.perf_counter() - started
    started = time.perf_counter()
    for path in sorted(extract.glob("*.csv")):
        if path.name == "truth.csv":
            continue
        result = manage(env, "import_extract", path.stem, str(path))
        if result.returncode:
            problems.append(f"{path.name} refused:\n{(result.stdout + result.stderr)[-2000:]}")
    timings["import"] = time.perf_counter() - started
    started = time.perf_counter()
    result = manage(env, "match")
    timings["match"] = time.perf_counter() - started
    if result.returncode:
        problems.append(f"match failed:\n{(result.stdout + result.stderr)[-3000:]}")
    dump = subprocess.run([PYTHON, str(ROOT / "benchmarks" / "independent" / "assignment.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if dump.returncode:
        sys.exit(f"reading the assignment failed:\n{dump.stderr[-3000:]}")
    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for row in csv.DictReader(io.StringIO(dump.stdout)):
        votes[(row["dataset"], row["source_key"])][row["person_id"]] += 1
    assignment = {}
    for unit, counter in votes.items():
        person = counter.most_common(1)[0][0]
        assignment[unit] = person if person else ("unlinked", *unit)
    return assignment, timings, problems


def lost_by_stage(truth_csv: Path, env: dict) -> dict:
    """stages.py on the benchmark's database: where the true pairs the product did not link were lost."""
    result = subprocess.run([PYTHON, str(ROOT / "benchmarks" / "independent" / "stages.py"), str(truth_csv)], env=env,
                            cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"the stage breakdown failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def print_stages(s: dict) -> None:
    print(f"  true pairs not linked, by the stage that lost them (match >= {s['match_threshold']}, "
          f"review >= {s['review_threshold']}):")
    for stage, count in s["lost"].items():
        print(f"    {stage:<26} {count:5d}")
    print(f"    {'total':<26} {s['missed']:5d}")
    a, b = s["linked"], s["queue confirmed"]
    print(f"  review queue {s['queue']} pairs; if reviewers confirmed every queued pair: precision {b['precision']:.4f} "
          f"recall {b['recall']:.4f} (linked: {a['precision']:.4f} / {a['recall']:.4f})")


def run_bench(bench: str, args, workdir: Path) -> dict:
    extract = prepare(bench, workdir, args.people, args.seed)
    truth = read_truth(extract / "truth.csv")
    env = fresh_database(args.postgres_url, bench, workdir)
    assignment, timings, problems = run_product(extract, env)
    for problem in problems:
        print(f"[{bench}] {problem}", file=sys.stderr)
    stages = lost_by_stage(extract / "truth.csv", env)
    units = {u: t for u, t in truth.items() if u in assignment}
    missing = len(truth) - len(units)
    started = time.perf_counter()
    reference = plain_splink.cluster(extract)
    timings["plain splink"] = time.perf_counter() - started
    corruption = read_corruption(extract / "truth.csv")
    return {
        "by error": {"product": missed_by_error(assignment, units, corruption),
                     "splink": dict(((k, m) for k, m, _ in missed_by_error(reference, units, corruption)))},
        "bench": bench, "units": len(units), "persons": len(set(units.values())), "not imported": missing,
        "true pairs": sum(comb(n, 2) for n in Counter(units.values()).values()),
        "product": scores(assignment, units), "splink": scores(reference, units), "timings": timings,
        "problems": len(problems), "stages": stages,
    }


def print_result(r: dict) -> None:
    print(f"\n{r['bench']}: {r['units']} records of {r['persons']} true persons, {r['true pairs']} true pairs"
          + (f"; {r['not imported']} records NOT IMPORTED (files refused)" if r["not imported"] else ""))
    print(f"  {'':<14} {'precision':>9} {'recall':>7} {'F1':>7} {'clusters':>8} {'exact':>6}")
    for label, key in (("ThinkFamily", "product"), ("plain Splink", "splink")):
        s = r[key]
        print(f"  {label:<14} {s['precision']:9.4f} {s['recall']:7.4f} {s['f1']:7.4f} {s['clusters']:8d} "
              f"{s['exact']:6.3f}")
    if len(r["by error"]["product"]) > 1:
        print("  true pairs missed, by the one name or date-of-birth error they carry (ThinkFamily / plain Splink):")
        for kind, missed, total in r["by error"]["product"]:
            print(f"    {kind:<26} {missed:4d} / {r['by error']['splink'][kind]:4d} of {total:4d}")
    print_stages(r["stages"])
    t = r["timings"]
    print(f"  seconds: migrate {t['migrate']:.1f}, import {t['import']:.1f}, match {t['match']:.1f} "
          f"(ThinkFamily); plain Splink {t['plain splink']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default=os.environ.get("DATABASE_URL") or None,
                        help="base PostgreSQL URL: each benchmark gets a fresh <name>_<bench> database "
                             "(default: DATABASE_URL; without either, SQLite files in the work directory)")
    parser.add_argument("--bench", nargs="+", choices=BENCHES, default=list(DEFAULT_BENCHES))
    parser.add_argument("--people", type=int, default=5000, help="size of the generator's truth (synthetic-independent)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="independent-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    git = shutil.which("git") or "git"
    commit = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    branch = subprocess.run([git, "rev-parse", "--abbrev-ref", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    print(f"independent benchmarks on {branch} @ {commit}; database "
          f"{'PostgreSQL' if args.postgres_url else 'SQLite'}; work directory {workdir}")
    results = []
    for bench in args.bench:
        started = time.perf_counter()
        result = run_bench(bench, args, workdir)
        results.append(result)
        print_result(result)
        print(f"  total {time.perf_counter() - started:.1f} s")
    print("\nsummary (pairwise P / R / F1; ThinkFamily's recall if every queued pair were confirmed)")
    for r in results:
        a, b = r["product"], r["splink"]
        print(f"  {r['bench']:<22} ThinkFamily {a['precision']:.4f} / {a['recall']:.4f} / {a['f1']:.4f} "
              f"(queue confirmed: R {r['stages']['queue confirmed']['recall']:.4f})   "
              f"plain Splink {b['precision']:.4f} / {b['recall']:.4f} / {b['f1']:.4f}")
    print("\ntrue pairs not linked, by stage: " + ", ".join(STAGE_NAMES))
    for r in results:
        print(f"  {r['bench']:<22} " + " ".join(f"{r['stages']['lost'][s]:6d}" for s in STAGE_NAMES)
              + f"   total {r['stages']['missed']}")
    if any(r["problems"] for r in results):
        sys.exit("some files were refused or a match failed: see above")


if __name__ == "__main__":
    main()
