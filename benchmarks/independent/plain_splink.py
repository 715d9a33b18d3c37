"""The reference: a vanilla Splink 5 model on the same records, written from Splink's own libraries.

Nothing here comes from the product's matcher (apps/matching): the comparisons are
Splink's out-of-the-box ones, the blocking rules the usual ones for people, trained
unsupervised (random-sampling u, EM for m), clustered by connected components at a
match probability of 0.99. It is the floor a council would get by running Splink
itself on the extracts.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from benchmarks.independent.importformat import DAY_FIRST

THRESHOLD = 0.99


def _name(value: str) -> str | None:
    value = "".join(c for c in unicodedata.normalize("NFKD", value or "") if not unicodedata.combining(c))
    value = re.sub(r"[^A-Z ]+", "", value.upper().replace("-", " ")).strip()
    return re.sub(r"\s+", " ", value) or None


def _date(value: str, dataset: str) -> str | None:
    if not value:
        return None
    for fmt in (("%d/%m/%Y",) if dataset.startswith(DAY_FIRST) else ("%Y-%m-%d",)):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            pass
    return None


def _postcode(value: str) -> str | None:
    value = re.sub(r"\s+", "", value or "").upper()
    return f"{value[:-3]} {value[-3:]}" if len(value) >= 5 else None


def _plain(value: str) -> str | None:
    value = re.sub(r"[^A-Z0-9 ]+", " ", (value or "").upper())
    return re.sub(r"\s+", " ", value).strip() or None


def units_table(extract_dir: Path) -> tuple[pa.Table, list[tuple[str, str]]]:
    """One row per (dataset, source_key): the identity on its first row, lightly standardised."""
    seen: dict[tuple[str, str], dict] = {}
    for path in sorted(extract_dir.glob("*.csv")):
        if path.name == "truth.csv":
            continue
        dataset = path.stem
        with path.open(encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                unit = (dataset, r["source_key"])
                if unit in seen:
                    continue
                seen[unit] = {
                    "unique_id": len(seen),
                    "forename": _name(r.get("forename", "")),
                    "surname": _name(r.get("surname", "")),
                    "dob": _date(r.get("date_of_birth", ""), dataset),
                    "sex": r.get("sex") if r.get("sex") in ("M", "F") else None,
                    "postcode": _postcode(r.get("postcode", "")),
                    "address": _plain(r.get("address", "")),
                    "nhs": r.get("nhs_number") or None,
                    "ni": (r.get("ni_number") or "").upper() or None,
                    "upn": r.get("upn") or None,
                }
    units = list(seen)
    columns = list(next(iter(seen.values())))
    return pa.table({c: [seen[u][c] for u in units] for c in columns}), units


IDENTIFIERS = ("nhs", "ni", "upn")


def settings(present: set[str]) -> SettingsCreator:
    """Comparisons and blocking on the identifier columns only where the extracts carry them."""
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("forename").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.PostcodeComparison("postcode"),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
            *([cl.ExactMatch("sex")] if "sex" in present else []),
            *(cl.ExactMatch(c) for c in IDENTIFIERS if c in present),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("forename", "surname"),
            block_on("surname", "dob"),
            block_on("forename", "dob"),
            block_on("postcode", "substr(surname, 1, 1)"),
            block_on("postcode", "dob"),
            *(block_on(c) for c in IDENTIFIERS if c in present),
        ],
        retain_intermediate_calculation_columns=False,
    )


def cluster(extract_dir: Path) -> dict[tuple[str, str], int]:
    """(dataset, source_key) -> cluster id."""
    table, units = units_table(extract_dir)
    con = duckdb.connect()
    db_api = DuckDBAPI(con)
    present = {c for c in (*IDENTIFIERS, "sex") if table.column(c).null_count < len(table)}
    linker = Linker(db_api.register(table), settings(present), log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "dob"), *(block_on(c) for c in IDENTIFIERS if c in present)], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in (block_on("forename", "surname"), block_on("dob"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule, record_sample_proportion=1.0)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD)
    result = clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    con.close()
    ids = {cid for _, cid in result}
    index = {cid: i for i, cid in enumerate(sorted(ids, key=str))}
    return {units[uid]: index[cid] for uid, cid in result}
