"""Peak memory (RSS) of one import, for a small file and a large one: it should not grow with the file.

    .venv/bin/python manage.py synth --scale bristol --seed 42 --out /tmp/bristol
    .venv/bin/python benchmarks/import_memory.py --extract /tmp/bristol --large-mb 200
    .venv/bin/python benchmarks/import_memory.py --extract /tmp/bristol --code /tmp/thinkfamily-before  # another checkout

Takes one dataset's CSV from a ``manage.py synth`` extract (``--dataset``,
default the largest file): its first ``--small-rows`` rows are the small file;
the large one, of about ``--large-mb`` MB, repeats all its data rows, each copy
with its source keys suffixed so that every row is still a distinct, valid
record. For each backend
and each file, a scratch database is migrated in one child process; a second,
fresh child process then only loads the file through ``import_batch_load`` and
reports its own peak RSS (``getrusage`` ``ru_maxrss``) and its RSS before the
load (Django and the app imported). ``--code`` runs the loading child from
another checkout of the project (e.g. the commit before a change), with this
script's files.

PostgreSQL: a scratch database (``--postgres-url``, default
postgres://postgres@127.0.0.1:5432/tf_import_memory_bench) is dropped and
created for each load. SQLite: a fresh file in a temporary directory.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/tf_import_memory_bench"

sys.path.insert(0, str(ROOT / "benchmarks"))
from import_extract import postgres_recreate


def shrink(source: Path, out: Path, rows: int) -> None:
    with source.open(encoding="utf-8", newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst, lineterminator="\n")
        for number, row in enumerate(csv.reader(src)):
            if number > rows:
                break
            writer.writerow(row)


def enlarge(source: Path, out: Path, target_bytes: int) -> int:
    """Write ``source``'s rows again and again, source keys suffixed per copy, until ``out`` has ``target_bytes``.

    Streams: this process stays small, so it cannot inflate what the children measure."""
    copies = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        while handle.tell() < target_bytes:
            with source.open(encoding="utf-8", newline="") as src:
                reader = csv.reader(src)
                header = next(reader)
                key = header.index("source_key")
                if not copies:
                    writer.writerow(header)
                for row in reader:
                    writer.writerow([*row[:key], f"{row[key]}~{copies}" if copies else row[key], *row[key + 1:]])
                    if handle.tell() >= target_bytes:
                        break
            copies += 1
    return copies


def child_env(backend: str, postgres_url: str, var_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["THINKFAMILY_VAR_DIR"] = var_dir
    env["LOG_LEVEL"] = "WARNING"
    if backend == "postgresql":
        env["DATABASE_URL"] = postgres_url
    return env


def measure(backend: str, dataset: str, path: Path, code: Path, postgres_url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="tf-bench-mem-") as var_dir:
        if backend == "postgresql":
            postgres_recreate(postgres_url)
        env = child_env(backend, postgres_url, var_dir)
        for step in ("--migrate", "--load"):
            result = subprocess.run(
                [sys.executable, __file__, step, dataset, str(path)], cwd=code, env=env | {"TF_BENCH_CODE": str(code)},
                capture_output=True, text=True,
            )
            if result.returncode != 0:
                raise SystemExit(f"{backend} {step} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _django(code: Path) -> None:
    sys.path.insert(0, str(code))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")
    import django

    django.setup()


def _status_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, from /proc: unlike ``getrusage``'s ``ru_maxrss``,
    which Linux carries over ``exec`` from the parent, these are this program's own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no /proc/self/status: this benchmark needs Linux")


def child_migrate(code: Path) -> None:
    _django(code)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps({}))


def child_load(code: Path, dataset: str, path: Path) -> None:
    """Only the load: peak RSS of this process is the import's."""
    _django(code)
    from django.db import connection

    from apps.sources.models import Dataset
    from apps.sources.services import import_batch_load

    target = Dataset.objects.get(code=dataset)
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    batch = import_batch_load(dataset=target, path_or_file=path)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "backend": connection.vendor, "status": batch.status, "rows": batch.rows_loaded or batch.rows_total,
        "reason": batch.failure_reason[:300], "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(_status_mb("VmHWM"), 1), "seconds": round(seconds, 1),
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extract", type=Path, help="a manage.py synth output directory")
    parser.add_argument("--dataset", help="dataset code (default: the largest file in the extract)")
    parser.add_argument("--small-rows", type=int, default=10_000)
    parser.add_argument("--large-mb", type=int, default=200)
    parser.add_argument("--backends", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="scratch database, dropped and re-created")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose importer to measure")
    parser.add_argument("--migrate", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--load", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.migrate:
        child_migrate(Path(os.environ["TF_BENCH_CODE"]))
        return
    if args.load:
        child_load(Path(os.environ["TF_BENCH_CODE"]), args.load[0], Path(args.load[1]))
        return
    if args.extract is None:
        parser.error("--extract is required (a manage.py synth output directory)")
    source = args.extract / f"{args.dataset}.csv" if args.dataset else max(
        args.extract.glob("*.csv"), key=lambda p: p.stat().st_size)
    dataset = source.stem
    work = Path(tempfile.mkdtemp(prefix="tf-bench-mem-files-"))
    (work / "small").mkdir()
    small, large = work / "small" / f"{dataset}.csv", work / f"{dataset}.csv"
    shrink(source, small, args.small_rows)
    copies = enlarge(source, large, args.large_mb * 1024 * 1024)
    print(f"code: {args.code.resolve()}")
    print(f"dataset {dataset}: small file {small.stat().st_size / 1e6:,.1f} MB; "
          f"large file {large.stat().st_size / 1e6:,.1f} MB ({copies} copies of its rows)")
    try:
        for backend in args.backends.split(","):
            for label, path in (("small", small), ("large", large)):
                r = measure(backend.strip(), dataset, path, args.code.resolve(), args.postgres_url)
                print(f"{r['backend']:>10} {label:>5}: {r['rows']:>10,} rows, {r['status']:<9} in {r['seconds']:7.1f} s; "
                      f"RSS before the load {r['rss_before_mb']:6.1f} MB, peak {r['peak_rss_mb']:7.1f} MB"
                      + (f"  ({r['reason']})" if r["status"] != "loaded" else ""), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
