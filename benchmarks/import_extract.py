"""Import speed: rows per second for a whole synthetic extract and for its largest dataset.

    .venv/bin/python benchmarks/import_extract.py --scale small
    .venv/bin/python benchmarks/import_extract.py --scale bristol --backends postgresql
    .venv/bin/python benchmarks/import_extract.py --extract /tmp/extract-bristol  # any ``manage.py synth`` output

Generates the extract with ``manage.py synth`` (or reuses one already in
``var/bench-extract-<scale>-<seed>``), then, for each backend, loads all 35
files into a fresh database through ``import_batch_load``, the service the
three doors use, and prints rows/s end to end (checksum, validation and
normalisation, staging, bulk write, replace, commit). The largest dataset is
then loaded again as a newer extract (so its earlier rows are replaced) and
timed on its own. A file the validator refuses is reported; its time counts
in the full-extract figure, its rows do not.

PostgreSQL: a scratch database (``--postgres-url``, default
postgres://postgres@127.0.0.1:5432/tf_import_bench) is dropped and created.
SQLite: a fresh file in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/tf_import_bench"


def extract_directory(scale: str, seed: int) -> Path:
    out = ROOT / "var" / f"bench-extract-{scale}-{seed}"
    if not (out / "manifest.json").exists():
        print(f"generating the {scale} extract (seed {seed}) into {out} ...", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "synth", "--scale", scale, "--seed", str(seed), "--out", str(out)],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )
    return out


def postgres_recreate(url: str) -> None:
    import psycopg2
    from psycopg2.extensions import parse_dsn

    dsn = parse_dsn(url)
    name = dsn.pop("dbname")
    admin = psycopg2.connect(**dsn, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def run_backend(backend: str, extract: Path, postgres_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    with tempfile.TemporaryDirectory(prefix="tf-bench-") as var_dir:
        env["THINKFAMILY_VAR_DIR"] = var_dir
        env["LOG_LEVEL"] = "WARNING"
        if backend == "postgresql":
            postgres_recreate(postgres_url)
            env["DATABASE_URL"] = postgres_url
        result = subprocess.run(
            [sys.executable, __file__, "--worker", str(extract)], cwd=ROOT, env=env, capture_output=True, text=True
        )
    if result.returncode != 0:
        raise SystemExit(f"{backend} run failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def worker(extract: Path) -> None:
    """Runs in a child process with the backend chosen by the environment."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from apps.sources.models import Dataset, ImportBatch
    from apps.sources.services import import_batch_load

    call_command("migrate", verbosity=0)
    files = sorted(extract.glob("*.csv"))
    datasets = {d.code: d for d in Dataset.objects.all()}
    per_file, refused = {}, {}
    writing_started: list[float] = []  # when each load's write began: validation is done by then

    def note_write(stage: str, count: int) -> None:
        if stage == "loaded" and count == 0:
            writing_started.append(time.perf_counter())

    checking_seconds = 0.0
    started = time.perf_counter()
    for path in files:
        t0 = time.perf_counter()
        batch = import_batch_load(dataset=datasets[path.stem], path_or_file=path, progress=note_write)
        if batch.status == ImportBatch.Status.LOADED:
            checking_seconds += writing_started[-1] - t0
        if batch.status != ImportBatch.Status.LOADED:  # its time still counts; its rows do not
            refused[path.stem] = f"{batch.rows_total:,} rows refused: {batch.failure_reason} {batch.errors[:3]}"
            continue
        per_file[path.stem] = (batch.rows_loaded, time.perf_counter() - t0)
    total_seconds = time.perf_counter() - started
    total_rows = sum(rows for rows, _ in per_file.values())

    largest = max(per_file, key=lambda code: per_file[code][0])
    newer = Path(tempfile.mkdtemp(prefix="tf-bench-newer-")) / f"{largest}.csv"
    newer.write_bytes((extract / f"{largest}.csv").read_bytes() + b"\n")  # a different checksum, the same rows
    t0 = time.perf_counter()
    batch = import_batch_load(dataset=datasets[largest], path_or_file=newer)
    replace_seconds = time.perf_counter() - t0
    assert batch.status == ImportBatch.Status.LOADED, batch.failure_reason
    print(json.dumps({
        "backend": connection.vendor,
        "files": len(files),
        "rows": total_rows,
        "seconds": total_seconds,
        "checking_seconds": checking_seconds,
        "largest": largest,
        "largest_rows": per_file[largest][0],
        "largest_first_seconds": per_file[largest][1],
        "largest_replace_seconds": replace_seconds,
        "refused": refused,
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("small", "bristol"), default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="scratch database, dropped and re-created")
    parser.add_argument("--extract", type=Path, help="an extract directory to load instead of the generated one")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    extract = args.extract or extract_directory(args.scale, args.seed)
    print(f"extract: {extract}")
    for backend in args.backends.split(","):
        r = run_backend(backend.strip(), extract, args.postgres_url)
        print(
            f"{r['backend']:>10}: full extract {r['files']} files, {r['rows']:,} rows in {r['seconds']:.1f} s "
            f"= {r['rows'] / r['seconds']:,.0f} rows/s"
        )
        print(
            f"{'':>10}  of which checksum, validation, normalisation and staging {r['checking_seconds']:.1f} s; "
            f"bulk write, replace and commit {r['seconds'] - r['checking_seconds']:.1f} s"
        )
        print(
            f"{'':>10}  largest dataset {r['largest']} ({r['largest_rows']:,} rows): "
            f"first load {r['largest_rows'] / r['largest_first_seconds']:,.0f} rows/s, "
            f"replacing it {r['largest_rows'] / r['largest_replace_seconds']:,.0f} rows/s"
        )
        for code, why in r["refused"].items():
            print(f"{'':>10}  REFUSED {code}: {why}")


if __name__ == "__main__":
    main()
