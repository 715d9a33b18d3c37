"""The few datasets of the import format (docs/data-formats.md) the independent benchmarks write.

Copied by hand from docs/data-formats.md, as an agency writing an extract would: the
importer, not this module, decides whether a file is right.
"""

from __future__ import annotations

import csv
from pathlib import Path

IDENTITY = ["source_key", "forename", "middle_names", "surname", "date_of_birth", "sex", "address", "postcode"]
EVENT = ["event_date", "event_type", "reference"]

COLUMNS = {
    "bcc-council-tax": [*IDENTITY, "uprn", "date_from", "date_to"],
    "asc-offenders": [*IDENTITY, "ni_number", *EVENT],
    "bcc-social-care": [*IDENTITY, "nhs_number", *EVENT],
    "bcc-mental-health": [*IDENTITY, "nhs_number", *EVENT],
    "dfe-free-school-meals": [*IDENTITY, "upn", *EVENT],
    "ehm-referrals": [*IDENTITY, *EVENT],
    "bcc-homeless-prevention": [*IDENTITY, *EVENT],
    "bcc-asb-cases": [*IDENTITY, *EVENT],
}

# Police (asc-*) and the Early Help Module (ehm-*) write dd/mm/yyyy; everyone else ISO.
DAY_FIRST = ("asc-", "ehm-")


def date_text(dataset: str, day) -> str:
    if day is None:
        return ""
    return day.strftime("%d/%m/%Y") if dataset.startswith(DAY_FIRST) else day.isoformat()


def write_extract(path: Path, dataset: str, rows: list[dict]) -> None:
    columns = COLUMNS[dataset]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def write_truth(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """dataset, source_key, true person id, what was done to the record."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["dataset", "source_key", "person_id", "corruption"])
        writer.writerows(sorted(rows))


def read_truth(path: Path) -> dict[tuple[str, str], str]:
    with path.open(encoding="utf-8") as handle:
        return {(r["dataset"], r["source_key"]): r["person_id"] for r in csv.DictReader(handle)}


def read_corruption(path: Path) -> dict[tuple[str, str], set[str]]:
    with path.open(encoding="utf-8") as handle:
        return {(r["dataset"], r["source_key"]): set(filter(None, r["corruption"].split(";")))
                for r in csv.DictReader(handle)}
