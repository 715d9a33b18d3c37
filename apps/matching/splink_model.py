"""The Splink 5 model: input columns, comparisons, blocking rules, training and scoring.

This module knows DuckDB and Splink, not Django. It works on a DuckDB table of
*identity profiles* (see ``profiles``): one row per distinct combination of
identity fields, so that the 40 event rows one person has in one dataset are
compared once, not 40 times.

Profile columns (``PROFILE_COLUMNS``): ``unique_id`` (BIGINT), ``forename``,
``surname``, ``forename_phonetic``, ``surname_phonetic`` (Metaphone, see
``apps.common.names``), ``forename_variants`` (VARCHAR[]: the forename and the
formal names it may stand for, ``names.nickname_keys``), ``date_of_birth``
(DATE), ``sex``, ``postcode``, ``postcode_sector`` (outward code + first inward digit), ``address_key``,
``uprn``, ``nhs_number``, ``upn``, ``ni_number``. Missing values are NULL.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

import duckdb

PROFILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unique_id", "BIGINT"),
    ("forename", "VARCHAR"),
    ("surname", "VARCHAR"),
    ("forename_phonetic", "VARCHAR"),
    ("surname_phonetic", "VARCHAR"),
    ("forename_variants", "VARCHAR[]"),
    ("date_of_birth", "DATE"),
    ("sex", "VARCHAR"),
    ("postcode", "VARCHAR"),
    ("postcode_sector", "VARCHAR"),
    ("address_key", "VARCHAR"),
    ("uprn", "VARCHAR"),
    ("nhs_number", "VARCHAR"),
    ("upn", "VARCHAR"),
    ("ni_number", "VARCHAR"),
)


def _level(sql: str, label: str, m: float | None = None, u: float | None = None, **extra: Any) -> dict[str, Any]:
    """One comparison level; ``m``/``u`` are starting values that training replaces when it observes the level."""
    level = {"sql_condition": sql, "label_for_charts": label, **extra}
    if m is not None:
        level |= {"m_probability": m, "u_probability": u}
    return level


def _null(*columns: str) -> dict[str, Any]:
    sql = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in columns)
    return _level(sql, "Missing on either side", is_null_level=True)


def _else(m: float, u: float) -> dict[str, Any]:
    return _level("ELSE", "All other comparisons", m, u)

SWAPPED = '"forename_l" = "surname_r" AND "surname_l" = "forename_r"'


def _name_comparison(column: str, other_levels: list[dict[str, Any]], *, exact_m: float, else_m: float) -> dict[str, Any]:
    return {
        "output_column_name": column,
        "comparison_description": f"{column}: exact (term frequency), swapped, phonetic, Jaro-Winkler",
        "comparison_levels": [
            _null(column),
            _level(
                f'"{column}_l" = "{column}_r"', "Exact", exact_m, 0.005,
                tf_adjustment_column=column, tf_adjustment_weight=1.0,
            ),
            _level(SWAPPED, "Forename and surname swapped", 0.01, 0.00001),
            *other_levels,
            _level(f'"{column}_phonetic_l" = "{column}_phonetic_r"', "Phonetic (Metaphone) match", 0.03, 0.004),
            _level(f'jaro_winkler_similarity("{column}_l", "{column}_r") >= 0.92', "Jaro-Winkler >= 0.92", 0.04, 0.004),
            _level(f'jaro_winkler_similarity("{column}_l", "{column}_r") >= 0.80', "Jaro-Winkler >= 0.80", 0.02, 0.03),
            _else(else_m, 0.95),
        ],
    }


L_DOB, R_DOB = '"date_of_birth_l"', '"date_of_birth_r"'
# Dates of birth that one keying slip can turn into each other: the DOB comparison's
# partial levels. Anything further apart is a different person (see LINK_GUARD_SQL).
DOB_NEAR_LEVELS: tuple[tuple[str, str, float, float], ...] = (
    (
        f"year({L_DOB}) = year({R_DOB}) AND month({L_DOB}) = day({R_DOB}) AND day({L_DOB}) = month({R_DOB})",
        "Day and month transposed", 0.02, 0.00002,
    ),
    (
        f"damerau_levenshtein(strftime({L_DOB}, '%Y%m%d'), strftime({R_DOB}, '%Y%m%d')) <= 1",
        "One digit different", 0.04, 0.002,
    ),
    (
        f"month({L_DOB}) = month({R_DOB}) AND day({L_DOB}) = day({R_DOB}) AND abs(year({L_DOB}) - year({R_DOB})) = 1",
        "Year off by one", 0.01, 0.00003,
    ),
    (f"abs(date_diff('day', {L_DOB}, {R_DOB})) <= 7", "Within a week", 0.005, 0.0001),
    (f"year({L_DOB}) = year({R_DOB}) AND month({L_DOB}) = month({R_DOB})", "Same year and month", 0.01, 0.0008),
)


def _dob_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "date_of_birth",
        "comparison_description": (
            "Date of birth: exact, day/month transposed, one-character typo, year off by one, within a week, same month"
        ),
        "comparison_levels": [
            _null("date_of_birth"),
            _level(f"{L_DOB} = {R_DOB}", "Exact", 0.9, 0.0003),
            *(_level(sql, label, m, u) for sql, label, m, u in DOB_NEAR_LEVELS),
            _else(0.02, 0.997),
        ],
    }


def _address_comparison() -> dict[str, Any]:
    both_uprn = '"uprn_l" IS NOT NULL AND "uprn_r" IS NOT NULL'
    return {
        "output_column_name": "address",
        "comparison_description": "Address: UPRN first when both have one, then address key, postcode, sector",
        "comparison_levels": [
            _level(
                '("uprn_l" IS NULL OR "uprn_r" IS NULL) AND ("address_key_l" IS NULL OR "address_key_r" IS NULL)'
                ' AND ("postcode_l" IS NULL OR "postcode_r" IS NULL)',
                "Missing on either side",
                is_null_level=True,
            ),
            _level(f'{both_uprn} AND "uprn_l" = "uprn_r"', "Same UPRN", 0.6, 0.0002),
            _level('"address_key_l" = "address_key_r"', "Same address key", 0.2, 0.0003),
            _level('"postcode_l" = "postcode_r"', "Same postcode", 0.05, 0.001),
            _level('"postcode_sector_l" = "postcode_sector_r"', "Same postcode sector", 0.05, 0.02),
            _else(0.1, 0.98),
        ],
    }


def _identifier_comparison(column: str, label: str) -> dict[str, Any]:
    return {
        "output_column_name": column,
        "comparison_description": f"{label}: exact or different, when both records carry one",
        "comparison_levels": [
            _null(column),
            _level(f'"{column}_l" = "{column}_r"', "Exact", 0.99, 0.00001),
            _else(0.01, 0.99999),
        ],
    }


def _sex_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "sex",
        "comparison_description": "Sex: same or different (U counts as missing)",
        "comparison_levels": [_null("sex"), _level('"sex_l" = "sex_r"', "Same", 0.98, 0.5), _else(0.02, 0.5)],
    }


BLOCKING_RULES_FOR_PREDICTION: tuple[str, ...] = (
    'l."nhs_number" = r."nhs_number"',
    'l."upn" = r."upn"',
    'l."ni_number" = r."ni_number"',
    'l."uprn" = r."uprn" AND l."date_of_birth" = r."date_of_birth"',
    'l."surname_phonetic" = r."surname_phonetic" AND l."date_of_birth" = r."date_of_birth"',
    'l."forename_phonetic" = r."forename_phonetic" AND l."date_of_birth" = r."date_of_birth"',
    'l."forename_phonetic" = r."forename_phonetic" AND l."surname_phonetic" = r."surname_phonetic"',
    'l."postcode" = r."postcode" AND l."forename_phonetic" = r."forename_phonetic"',
    'l."postcode" = r."postcode" AND l."date_of_birth" = r."date_of_birth"',
    'l."forename" = r."surname" AND l."surname" = r."forename"',
)

# Rules that admit almost no false matches, used to estimate the prior.
DETERMINISTIC_RULES: tuple[str, ...] = (
    'l."forename" = r."forename" AND l."surname" = r."surname" AND l."date_of_birth" = r."date_of_birth"',
    'l."nhs_number" = r."nhs_number"',
    'l."upn" = r."upn"',
    'l."ni_number" = r."ni_number"',
)

# Twins and siblings share surname, date of birth and address; a parent and a
# child named after them share forename, surname, sex and address. Together these
# outweigh one disagreeing field under Splink's independence assumption, so a pair
# is never linked (nor queued for review) when
#
# * the forenames disagree outright (the forename comparison's ELSE level), or
# * both dates of birth are known and no keying slip explains the difference
#   (the date of birth comparison's ELSE level), or
# * one date of birth is missing and the two records share no UPRN, address or postcode,
#
# unless a national identifier (NHS number, UPN, NI number) agrees.
IDENTIFIER_AGREES_SQL = "(nhs_number_l = nhs_number_r OR upn_l = upn_r OR ni_number_l = ni_number_r)"
FORENAMES_COMPATIBLE_SQL = (
    "(forename_l IS NULL OR forename_r IS NULL"
    " OR jaro_winkler_similarity(forename_l, forename_r) >= 0.80"
    " OR forename_phonetic_l = forename_phonetic_r"
    " OR list_has_any(forename_variants_l, forename_variants_r)"
    " OR (forename_l = surname_r AND surname_l = forename_r))"
)
DOBS_COMPATIBLE_SQL = (
    "(date_of_birth_l IS NULL OR date_of_birth_r IS NULL OR date_of_birth_l = date_of_birth_r OR "
    + " OR ".join(f"({sql})" for sql, *_ in DOB_NEAR_LEVELS).replace('"', "")
    + ")"
)
# Without a date of birth on one side only names and sex are left, which common
# names share across a city: such a pair must also agree on where the person lives.
DOB_MISSING_NEEDS_ADDRESS_SQL = (
    "((date_of_birth_l IS NOT NULL AND date_of_birth_r IS NOT NULL)"
    " OR uprn_l = uprn_r OR address_key_l = address_key_r OR postcode_l = postcode_r)"
)
LINK_GUARD_SQL = (
    f"({IDENTIFIER_AGREES_SQL} OR ({FORENAMES_COMPATIBLE_SQL} AND {DOBS_COMPATIBLE_SQL}"
    f" AND {DOB_MISSING_NEEDS_ADDRESS_SQL}))"
)

# EM runs on two rules that each leave the other's fields free to learn.
BLOCKING_RULES_FOR_TRAINING: tuple[str, ...] = (
    'l."date_of_birth" = r."date_of_birth" AND l."postcode_sector" = r."postcode_sector"',
    'l."forename" = r."forename" AND l."surname" = r."surname"',
)


def settings_dict(*, prior: float = 1e-5) -> dict[str, Any]:
    """The untrained model: comparisons, blocking rules and the prior."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in BLOCKING_RULES_FOR_PREDICTION
        ],
        "comparisons": [
            _name_comparison(
                "forename",
                [
                    _level(
                        'list_has_any("forename_variants_l", "forename_variants_r")',
                        "Nickname of the same name", 0.03, 0.0005,
                    )
                ],
                exact_m=0.85, else_m=0.01,
            ),
            _name_comparison("surname", [], exact_m=0.88, else_m=0.02),
            _dob_comparison(),
            _sex_comparison(),
            _address_comparison(),
            _identifier_comparison("nhs_number", "NHS number"),
            _identifier_comparison("upn", "Unique pupil number"),
            _identifier_comparison("ni_number", "National Insurance number"),
        ],
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": True,
        "max_iterations": 20,
        "em_convergence": 0.001,
    }


@dataclass(frozen=True)
class TrainingCaps:
    """Keep training fast at 170,000 people: random-sampling pairs for u, pairs per EM rule."""

    u_max_pairs: float = 5e6
    em_max_pairs: float = 2e6
    seed: int = 42


def connect(*, memory_limit: str, temp_directory: str, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB with a memory ceiling and a spill directory; no extensions are installed."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{temp_directory}'")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _linker(con, table: str, settings: dict[str, Any]):
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(table, dataset_display_name=table)
    return Linker(sdf, settings, log_level=logging.ERROR), db_api


def train(con, table: str, *, caps: TrainingCaps, prior: float) -> dict[str, Any]:
    """Train the model on ``table``: u by random sampling, then EM on each training rule; returns Splink's JSON."""
    linker, _ = _linker(con, table, settings_dict(prior=prior))
    linker.training.estimate_probability_two_random_records_match(list(DETERMINISTIC_RULES), recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=caps.u_max_pairs, seed=caps.seed)
    for rule in BLOCKING_RULES_FOR_TRAINING:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=caps.em_max_pairs
        )
    return linker.misc.save_model_to_json()


def model_charts(con, table: str, model: dict[str, Any]) -> dict[str, Any]:
    """Splink's match-weights and m/u chart specs (Vega-Lite JSON) for the run page."""
    linker, _ = _linker(con, table, copy.deepcopy(model))
    return {
        "match_weights": linker.visualisations.match_weights_chart().chart_dict,
        "m_u_parameters": linker.visualisations.m_u_parameters_chart().chart_dict,
    }


def predict(con, table: str, model: dict[str, Any], *, threshold: float, out_table: str) -> int:
    """Score every blocked pair of ``table`` at or above ``threshold``; write them to ``out_table``."""
    linker, _ = _linker(con, table, copy.deepcopy(model))
    scored = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    con.execute(
        f"CREATE OR REPLACE TABLE {out_table} AS SELECT unique_id_l, unique_id_r, match_probability "
        f"FROM {scored.physical_name} WHERE {LINK_GUARD_SQL}"
    )
    scored.drop_table_from_database_and_remove_from_cache()
    return con.execute(f"SELECT count(*) FROM {out_table}").fetchall()[0][0]


def predict_incremental(
    con, existing: str, new: str, model: dict[str, Any], *, threshold: float, out_table: str
) -> int:
    """Score new profiles against existing ones (``predict_between``) and among themselves (``predict_within``).

    Term frequencies come from the existing profiles plus the new ones, registered before scoring.
    """
    linker, db_api = _linker(con, existing, copy.deepcopy(model))
    new_sdf = db_api.register(new, dataset_display_name=new)
    for column in ("forename", "surname"):
        con.execute(
            f"CREATE OR REPLACE TABLE tf_{column}_lookup AS "
            f"SELECT {column}, count(*)::DOUBLE / sum(count(*)) OVER () AS tf_{column} "
            f"FROM (SELECT {column} FROM {existing} UNION ALL SELECT {column} FROM {new}) "
            f"WHERE {column} IS NOT NULL GROUP BY {column}"
        )
        tf_sdf = db_api.register(f"tf_{column}_lookup", table_name=f"tf_{column}_input")
        linker.table_management.register_term_frequency_lookup(tf_sdf, column)
    existing_sdf = linker._input_tables_dict[next(iter(linker._input_tables_dict))]
    between = linker.inference.predict_between(
        existing_sdf, new_sdf, threshold_match_probability=threshold, warning_mode="never"
    )
    within = linker.inference.predict_within(new_sdf, threshold_match_probability=threshold, warning_mode="never")
    con.execute(
        f"CREATE OR REPLACE TABLE {out_table} AS "
        f"SELECT unique_id_l, unique_id_r, match_probability FROM {between.physical_name} WHERE {LINK_GUARD_SQL} "
        f"UNION ALL SELECT unique_id_l, unique_id_r, match_probability FROM {within.physical_name} "
        f"WHERE {LINK_GUARD_SQL}"
    )
    return con.execute(f"SELECT count(*) FROM {out_table}").fetchall()[0][0]


def parameters_table(model: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per comparison level: m, u and the match weight log2(m/u), for the run page's table."""
    import math

    rows = []
    for comparison in model.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            rows.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level": level.get("label_for_charts") or level["sql_condition"],
                    "m": m,
                    "u": u,
                    "weight": weight,
                }
            )
    return rows
