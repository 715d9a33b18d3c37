"""CPU time of checking one extract, clean and with 1% bad rows quarantined, and of reading those rows' raw bytes back.

    .venv/bin/python benchmarks/import_quarantine.py [--rows 200000] [--code /path/to/another/checkout]

Writes a synthetic ``asc-offenders`` extract (dd/mm/yyyy dates, varied names, dates and addresses;
seeded) to a temporary directory, then in this process (or, with ``--code``, with another checkout's
code on the path) times ``ExtractValidator.validate`` over it (best of three, CPU time: no database,
nothing written), and, where the checkout has quarantine, the same file with every 100th row given a
bad sex code, validated in quarantine mode, and ``raw_lines`` reading the bad rows' bytes back.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
COLUMNS = ["source_key", "forename", "middle_names", "surname", "date_of_birth", "sex", "address", "postcode",
           "ni_number", "event_date", "event_type", "reference"]


def write_extract(path: Path, rows: int, *, bad_every: int = 0) -> None:
    rng = random.Random(1)
    forenames = ["ANN", "LEE", "MIA", "ZOE", "TOM", "SAM", "JO", "KAI", "EVA", "IAN"]
    surnames = ["SMITH", "JONES", "NOWAK", "OKAFOR", "PATEL", "KHAN", "BROWN", "TAYLOR"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(1, rows + 1):
            dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(25_000))
            event = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1_500))
            sex = "Q" if bad_every and i % bad_every == 0 else rng.choice("MF")
            writer.writerow([f"K{i:07d}", rng.choice(forenames), "", rng.choice(surnames), dob.strftime("%d/%m/%Y"), sex,
                             f"{rng.randrange(1, 200)} High St", f"BS{rng.randrange(1, 16)} {rng.randrange(1, 9)}DJ", "",
                             event.strftime("%d/%m/%Y"), "person-committed-offence", f"CR-{i}"])


def measure(clean: str, bad: str) -> None:
    """Run inside the checkout being measured (its directory first on sys.path)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")
    import django

    django.setup()
    from apps.sources.descriptors import default_specs
    from apps.sources.validation import ExtractValidator

    spec = default_specs()["asc-offenders"]
    best = None
    for _ in range(3):
        with open(clean, "rb") as handle:
            started = time.process_time()
            result = ExtractValidator(spec).validate(handle, sink=lambda row: None)
            took = time.process_time() - started
        best = took if best is None else min(best, took)
    print(f"clean file: {result.rows_total:,} rows checked in {best:.2f} s CPU ({result.rows_total / best:,.0f} rows/s)")
    try:
        from apps.sources.quarantine.services import raw_lines
    except ImportError:
        print("this checkout has no quarantine")
        return
    with open(bad, "rb") as handle:
        started = time.process_time()
        result = ExtractValidator(spec, quarantine=True).validate(handle, sink=lambda row: None)
        checked = time.process_time() - started
        started = time.process_time()
        lines = raw_lines(handle, [(b.first_line, b.last_line) for b in result.bad_rows])
        read_back = time.process_time() - started
    print(f"1% bad, quarantine mode: {result.rows_total:,} rows checked in {checked:.2f} s CPU; "
          f"raw bytes of its {len(lines):,} bad rows read back in {read_back:.3f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--code", type=Path, default=HERE, help="the checkout to measure (default: this one)")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure)
        return
    with tempfile.TemporaryDirectory(prefix="tf-quarantine-bench-") as tmp:
        clean, bad = Path(tmp) / "clean.csv", Path(tmp) / "bad.csv"
        write_extract(clean, args.rows)
        write_extract(bad, args.rows, bad_every=100)
        code = args.code.resolve()
        env = dict(os.environ, PYTHONPATH=str(code))
        subprocess.run([sys.executable, __file__, "--measure", str(clean), str(bad)], cwd=code, env=env, check=True)


if __name__ == "__main__":
    main()
