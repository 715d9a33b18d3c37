"""Time the synthetic generator at a scale and print its figures.

    .venv/bin/python benchmarks/synth.py --scale bristol --seed 42 --out /tmp/synth-bristol
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="bristol")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="/tmp/synth-benchmark")
    args = parser.parse_args()

    import django

    django.setup()
    from apps.sources.synth import generate

    started = time.perf_counter()
    manifest = generate(out=Path(args.out), scale=args.scale, seed=args.seed)
    elapsed = time.perf_counter() - started
    size = sum(p.stat().st_size for p in Path(args.out).rglob("*.csv"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scale {args.scale}, seed {args.seed}: {manifest['people']:,} people, {manifest['households']:,} households, "
          f"{manifest['families']:,} families, {manifest['pupils']:,} pupils")
    print(f"source rows written: {manifest['rows_total']:,} in {len(manifest['datasets'])} files "
          f"({size / 1e6:,.0f} MB with ground truth)")
    print(f"wall time: {elapsed:,.1f} s; peak memory: {peak:,.0f} MB; CPUs: {os.cpu_count()}")
    for code, entry in sorted(manifest["datasets"].items(), key=lambda item: -item[1]["rows"]):
        print(f"  {code:28} {entry['rows']:>9,} rows {entry['records']:>8,} records")


if __name__ == "__main__":
    main()
