"""Print the product's person assignment: dataset, source_key, person id (CSV, one row per current record).

Run with the database of one benchmark run in DATABASE_URL (or THINKFAMILY_VAR_DIR for SQLite):
reads the result only, through the model every page reads.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django

django.setup()

from apps.sources.models import SourceRecord


def main() -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["dataset", "source_key", "person_id"])
    rows = SourceRecord.objects.filter(batch__is_current=True).values_list("dataset__code", "source_key", "person_id")
    for code, key, person in rows.iterator(chunk_size=20000):
        writer.writerow([code, key, "" if person is None else person])


if __name__ == "__main__":
    main()
