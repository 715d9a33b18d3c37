"""The Splink 5 model: input columns, comparisons, blocking rules, training and scoring.

This module knows DuckDB and Splink, not Django. It works on a DuckDB table of
*identity profiles* (see ``profiles``): one row per distinct combination of
identity fields, so that the 40 event rows one person has in one dataset are
compared once, not 40 times.

Profile columns (``PROFILE_COLUMNS``): ``unique_id`` (BIGINT), ``forename``,
``surname``, ``forename_phonetic``, ``surname_phonetic`` (Metaphone, see
``apps.common.names``), ``forename_variants`` (VARCHAR[]: the forename and the
formal names it may stand for, ``names.nickname_keys``), ``surname_variants`` (the same of
the surname, for a swapped nickname), ``date_of_birth``
(DATE), ``sex``, ``postcode``, ``postcode_sector`` (outward code + first inward digit), ``address_key``,
``address_line`` (the address key without its postcode, when it names a building or number),
``address_building`` (sub-building, building name and number), ``street``,
``uprn``, ``nhs_number``, ``upn``, ``ni_number``, ``middle_names`` (VARCHAR[]: the
normalised middle names of the profile's records, one a token, ``profiles.middle_name_tokens``)
and ``middle_name_variants`` (their nickname keys). Missing values are NULL. Middle names
are not a Splink comparison: only the family guard reads them (``FORENAME_IS_MIDDLE_NAME_SQL``).

The comparisons are written with Splink's comparison libraries
(``splink.comparison_library``, ``splink.comparison_level_library``) and
rendered for a dialect (``comparisons(dialect)``), so they port to Splink's other
backends; the family guard (``GUARD_SQL``) is DuckDB SQL over the scored pairs.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import ColumnExpression

DIALECT = "duckdb"

PROFILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unique_id", "BIGINT"),
    ("forename", "VARCHAR"),
    ("surname", "VARCHAR"),
    ("forename_phonetic", "VARCHAR"),
    ("surname_phonetic", "VARCHAR"),
    ("forename_variants", "VARCHAR[]"),
    ("surname_variants", "VARCHAR[]"),
    ("date_of_birth", "DATE"),
    ("sex", "VARCHAR"),
    ("postcode", "VARCHAR"),
    ("postcode_sector", "VARCHAR"),
    ("address_key", "VARCHAR"),
    ("address_line", "VARCHAR"),
    ("address_building", "VARCHAR"),
    ("street", "VARCHAR"),
    ("uprn", "VARCHAR"),
    ("nhs_number", "VARCHAR"),
    ("upn", "VARCHAR"),
    ("ni_number", "VARCHAR"),
    ("middle_names", "VARCHAR[]"),
    ("middle_name_variants", "VARCHAR[]"),
)
STRONG_IDENTIFIERS = ("nhs_number", "upn", "ni_number")

# Bounded weights (docs/matching.md, "Bounded weights"). The generator never mis-keys sex or an
# identifier, so EM would learn m ~ 0 for "different" and a veto of -45 to -54 on one field. Real
# agencies do mis-key them; these m-probabilities are fixed (Splink's fix_m_probability) and not trained.
SEX_DIFFERENT_M = 0.02  # sex recorded differently for one person: keying slip or recorded gender changed
IDENTIFIER_DIFFERENT_M = 0.01  # a person's identifier recorded as another number (wrong number copied)
IDENTIFIER_SLIP_M = 0.01  # one keying slip (one character changed, dropped, added, or two transposed)
IDENTIFIER_SLIP_U = 1e-4  # two people's identifiers one slip apart: fixed, random sampling rarely sees it


def _configured(level, label: str, m: float | None = None, u: float | None = None, **extra: Any):
    """A library level with a chart label and starting m/u (training replaces unfixed ones when it observes the level)."""
    options: dict[str, Any] = {"label_for_charts": label, **extra}
    if m is not None:
        options |= {"m_probability": m, "u_probability": u}
    return level.configure(**options)


def _custom(sql: str, label: str, m: float | None = None, u: float | None = None, **extra: Any):
    return _configured(cll.CustomLevel(sql), label, m, u, **extra)


def _else(m: float, u: float, **extra: Any):
    return _configured(cll.ElseLevel(), "All other comparisons", m, u, **extra)


# Forename and surname swapped, each side allowing a misspelling (Jaro-Winkler on the swapped pair)
# or a nickname ("HOLLAND JACKIE" for "JACQUELINE HOLLAND").
SWAP_JW = 0.88
SWAPPED_SQL = (
    f'(jaro_winkler_similarity("forename_l", "surname_r") >= {SWAP_JW}'
    ' OR list_has_any("forename_variants_l", "surname_variants_r"))'
    f' AND (jaro_winkler_similarity("surname_l", "forename_r") >= {SWAP_JW}'
    ' OR list_has_any("surname_variants_l", "forename_variants_r"))'
)


def _name_comparison(column: str, other_levels: list, *, exact_m: float, else_m: float):
    name = ColumnExpression(column)
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=f"{column}: exact (term frequency), swapped, phonetic, Jaro-Winkler",
        comparison_levels=[
            cll.NullLevel(column),
            _configured(cll.ExactMatchLevel(column, term_frequency_adjustments=True), "Exact", exact_m, 0.005),
            _custom(SWAPPED_SQL, "Forename and surname swapped (Jaro-Winkler >= 0.88 or nickname, each way)", 0.01, 0.00001),
            *other_levels,
            _configured(cll.ExactMatchLevel(f"{column}_phonetic"), "Phonetic (Metaphone) match", 0.03, 0.004),
            _configured(cll.JaroWinklerLevel(name, 0.92), "Jaro-Winkler >= 0.92", 0.04, 0.004),
            _configured(cll.JaroWinklerLevel(name, 0.80), "Jaro-Winkler >= 0.80", 0.02, 0.03),
            _else(else_m, 0.95),
        ],
    )


DOB = ColumnExpression("date_of_birth")
L_DOB, R_DOB = '"date_of_birth_l"', '"date_of_birth_r"'
# Dates of birth that one keying slip can turn into each other: the DOB comparison's partial
# levels. "Same year and month" is not one: two people of one name born in the same month are
# not one person (it let such pairs merge).
DOB_NEAR_LEVELS = (
    _custom(
        f"year({L_DOB}) = year({R_DOB}) AND month({L_DOB}) = day({R_DOB}) AND day({L_DOB}) = month({R_DOB})",
        "Day and month transposed", 0.02, 0.00002,
    ),
    _configured(cll.DamerauLevenshteinLevel(DOB.cast_to_string(), 1), "One digit different", 0.04, 0.002),
    _custom(
        f"month({L_DOB}) = month({R_DOB}) AND day({L_DOB}) = day({R_DOB}) AND abs(year({L_DOB}) - year({R_DOB})) = 1",
        "Year off by one", 0.01, 0.00003,
    ),
    _configured(
        cll.AbsoluteDateDifferenceLevel(DOB, input_is_string=False, threshold=7, metric="day"),
        "Within a week", 0.005, 0.0001,
    ),
)


def _dob_comparison():
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="Date of birth: exact, day/month transposed, one-character typo, year off by one, within a week",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            _configured(cll.ExactMatchLevel("date_of_birth"), "Exact", 0.9, 0.0003),
            *DOB_NEAR_LEVELS,
            _else(0.02, 0.997),
        ],
    )


def _address_comparison():
    """UPRN, then the street address whatever the postcode, a fuzzy street, postcode, sector.

    The address key ends with the postcode, so one postcode typo made two spellings of one
    home differ; ``address_line`` is the key without it.
    """
    return cl.CustomComparison(
        output_column_name="address",
        comparison_description="Address: UPRN, street address (postcode aside), fuzzy street, postcode, sector",
        comparison_levels=[
            _custom(
                '("uprn_l" IS NULL OR "uprn_r" IS NULL) AND ("address_line_l" IS NULL OR "address_line_r" IS NULL)'
                ' AND ("postcode_l" IS NULL OR "postcode_r" IS NULL)',
                "Missing on either side", is_null_level=True,
            ),
            _custom('"uprn_l" = "uprn_r"', "Same UPRN", 0.6, 0.0002),
            _configured(cll.ExactMatchLevel("address_line"), "Same street address", 0.3, 0.0003),
            _custom(
                '"address_building_l" = "address_building_r"'
                ' AND jaro_winkler_similarity("street_l", "street_r") >= 0.88',
                "Same number, street Jaro-Winkler >= 0.88", 0.05, 0.0002,
            ),
            _configured(cll.ExactMatchLevel("postcode"), "Same postcode", 0.05, 0.001),
            _configured(cll.JaroWinklerLevel("street", 0.92), "Street Jaro-Winkler >= 0.92", 0.03, 0.003),
            _configured(cll.ExactMatchLevel("postcode_sector"), "Same postcode sector", 0.05, 0.02),
            _else(0.1, 0.98),
        ],
    )


def _identifier_comparison(column: str, label: str):
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=f"{label}: exact, one keying slip, different (bounded), when both records carry one",
        comparison_levels=[
            cll.NullLevel(column),
            _configured(cll.ExactMatchLevel(column), "Exact", 0.97, 0.00001),
            _configured(
                cll.DamerauLevenshteinLevel(column, 1), "One keying slip", IDENTIFIER_SLIP_M, IDENTIFIER_SLIP_U,
                fix_m_probability=True, fix_u_probability=True,
            ),
            _else(IDENTIFIER_DIFFERENT_M, 0.99999, fix_m_probability=True),
        ],
    )


def _sex_comparison():
    return cl.CustomComparison(
        output_column_name="sex",
        comparison_description="Sex: same or different (U counts as missing), bounded",
        comparison_levels=[
            cll.NullLevel("sex"),
            _configured(cll.ExactMatchLevel("sex"), "Same", 1 - SEX_DIFFERENT_M, 0.5, fix_m_probability=True),
            _else(SEX_DIFFERENT_M, 0.5, fix_m_probability=True),
        ],
    )


def comparisons(dialect: str = DIALECT) -> list[dict[str, Any]]:
    """The comparisons as Splink settings dicts for ``dialect``."""
    creators = [
        _name_comparison(
            "forename",
            [_configured(cll.ArrayIntersectLevel("forename_variants", 1), "Nickname of the same name", 0.03, 0.0005)],
            exact_m=0.85, else_m=0.01,
        ),
        _name_comparison("surname", [], exact_m=0.88, else_m=0.02),
        _dob_comparison(),
        _sex_comparison(),
        _address_comparison(),
        *(_identifier_comparison(c, label) for c, label in (
            ("nhs_number", "NHS number"), ("upn", "Unique pupil number"), ("ni_number", "National Insurance number"),
        )),
    ]
    return [creator.get_comparison(dialect).as_dict() for creator in creators]


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
    # forename and surname swapped and misspelt: swapped phonetic codes, or one swapped code and the date of birth
    'l."forename_phonetic" = r."surname_phonetic" AND l."surname_phonetic" = r."forename_phonetic"',
    'l."forename_phonetic" = r."surname_phonetic" AND l."date_of_birth" = r."date_of_birth"',
    'l."surname_phonetic" = r."forename_phonetic" AND l."date_of_birth" = r."date_of_birth"',
    # both names misspelt: the same home (street address whatever the postcode, or UPRN), with or
    # without a date of birth; or the same date of birth and sex in the same postcode sector
    'l."address_line" = r."address_line"',
    'l."uprn" = r."uprn"',
    'l."date_of_birth" = r."date_of_birth" AND l."postcode_sector" = r."postcode_sector"',
)

# Rules that admit almost no false matches, used to estimate the prior.
DETERMINISTIC_RULES: tuple[str, ...] = (
    'l."forename" = r."forename" AND l."surname" = r."surname" AND l."date_of_birth" = r."date_of_birth"',
    'l."nhs_number" = r."nhs_number"',
    'l."upn" = r."upn"',
    'l."ni_number" = r."ni_number"',
)


# ---------------------------------------------------------------------------------------------
# The family guard: evidence of two people, over the scored pairs (DuckDB SQL, unquoted columns).
#
# Twins share surname, date of birth, sex and address; a parent and the child named after them
# share forename, surname, sex and address. Under Splink's independence assumption these outweigh
# one disagreeing field, so the model's score alone would merge them. The guard gives every scored
# pair a verdict (``GUARD_SQL``):
#
# * ``apart``: positive evidence of two people. Never linked, never queued:
#   - a strong identifier (NHS number, UPN, NI number) differs by more than one keying slip;
#   - the same names with dates of birth a generation apart (>= GENERATION_YEARS): parent and child;
#   - forename and date of birth both different (no nickname, phonetic, Jaro-Winkler >= 0.80, swap,
#     middle name (``FORENAME_IS_MIDDLE_NAME_SQL``) or initial of the other; no keying slip between
#     the dates, and not a 1 January placeholder of the same year), as siblings are;
#   - recorded sex different together with a forename or date of birth that differs. Sex alone is
#     not evidence: agencies mis-key it, and its weight is bounded (``SEX_DIFFERENT_M``).
# * ``link``: a strong identifier agrees, or nothing speaks for two people: the model's score decides.
# * ``review``: ambiguous: the forenames differ outright with the same date of birth (twins, or a
#   forename replaced by another name; a forename that is the other record's middle name is compatible,
#   ``FORENAME_IS_MIDDLE_NAME_SQL``), the dates differ with the same names but less than
#   a generation (or one is a 1 January placeholder of another year), sex differs with a forename
#   that is only similar, or a date of birth is missing on one side and the two share no home. The pair goes to clerical
#   review (at or above the review threshold) instead of being linked or dropped.
#
# Clustering then refuses to put conflicting strong identifiers in one person, or forenames none of
# which is compatible with the other cluster's (an initial links to JOHN and to JAMES, but cannot chain
# twins John and James: ``clustering.cluster``).
# ---------------------------------------------------------------------------------------------
GENERATION_YEARS = 12


def _sql(level) -> str:
    return level.get_comparison_level(DIALECT).sql_condition.replace('"', "")


def _either(sql: str) -> str:
    return f"coalesce({sql}, false)"


IDENTIFIER_AGREES_SQL = _either(" OR ".join(f"{c}_l = {c}_r" for c in STRONG_IDENTIFIERS))
IDENTIFIER_CONFLICT_SQL = _either(" OR ".join(f"damerau_levenshtein({c}_l, {c}_r) > 1" for c in STRONG_IDENTIFIERS))
FORENAMES_EQUAL_SQL = _either(
    "forename_l IS NULL OR forename_r IS NULL OR forename_l = forename_r"
    " OR list_has_any(forename_variants_l, forename_variants_r)"
)
# A forename written as an initial ("J") is compatible with any forename it is the initial of.
FORENAME_INITIAL_SQL = (
    "((length(forename_l) = 1 OR length(forename_r) = 1) AND left(forename_l, 1) = left(forename_r, 1))"
)
# A person known by their middle name: one agency records PATRICIA (middle NICOLA), another NICOLA
# (middle PATRICIA, or none). Compatible when one side's forename is one of the other's middle names
# (or a nickname of one), unless both record middle names and these give two people: twins OSCAR and
# JACK OSCAR, where OSCAR's own middle name (JAMES) is neither JACK nor one of JACK's middle names.
_FORENAME_IN_MIDDLE_L = "list_has_any(forename_variants_r, middle_name_variants_l)"
_FORENAME_IN_MIDDLE_R = "list_has_any(forename_variants_l, middle_name_variants_r)"
FORENAME_IS_MIDDLE_NAME_SQL = _either(
    f"({_FORENAME_IN_MIDDLE_L} OR {_FORENAME_IN_MIDDLE_R})"
    " AND (len(middle_names_l) IS NULL OR len(middle_names_r) IS NULL"
    f" OR ({_FORENAME_IN_MIDDLE_L} AND {_FORENAME_IN_MIDDLE_R})"
    " OR list_has_any(middle_names_l, middle_names_r))"
)
FORENAMES_COMPATIBLE_SQL = _either(
    f"{FORENAMES_EQUAL_SQL}"
    f" OR {FORENAME_INITIAL_SQL}"
    f" OR {FORENAME_IS_MIDDLE_NAME_SQL}"
    " OR jaro_winkler_similarity(forename_l, forename_r) >= 0.80"
    " OR forename_phonetic_l = forename_phonetic_r"
    f" OR ({SWAPPED_SQL.replace(chr(34), '')})"
)
# 1 January stands in for an unknown day and month in many systems: a date on it is weak evidence.
DOB_PLACEHOLDER_SQL = _either(
    "(month(date_of_birth_l) = 1 AND day(date_of_birth_l) = 1)"
    " OR (month(date_of_birth_r) = 1 AND day(date_of_birth_r) = 1)"
)
# so a 1 January date is near any date of the same year (clustering.dates_of_birth_compatible does the same)
DOBS_NEAR_SQL = _either(
    "date_of_birth_l = date_of_birth_r OR " + " OR ".join(f"({_sql(level)})" for level in DOB_NEAR_LEVELS)
    + f" OR ({DOB_PLACEHOLDER_SQL} AND year(date_of_birth_l) = year(date_of_birth_r))"
)
DOBS_DIFFER_SQL = f"(date_of_birth_l IS NOT NULL AND date_of_birth_r IS NOT NULL AND NOT {DOBS_NEAR_SQL})"
DOBS_FAR_SQL = f"({DOBS_DIFFER_SQL} AND NOT {DOB_PLACEHOLDER_SQL})"
GENERATION_GAP_SQL = (
    f"({DOBS_FAR_SQL} AND {FORENAMES_COMPATIBLE_SQL}"
    f" AND abs(date_diff('day', date_of_birth_l, date_of_birth_r)) >= {round(GENERATION_YEARS * 365.25)})"
)
SEX_DIFFERS_SQL = _either("sex_l <> sex_r")
# Without a date of birth on one side only names and sex are left, which common names share across
# a city: such a pair must also agree on where the person lives to be linked without review.
DOB_MISSING_ELSEWHERE_SQL = (
    "((date_of_birth_l IS NULL OR date_of_birth_r IS NULL)"
    f" AND NOT {_either('uprn_l = uprn_r OR address_line_l = address_line_r OR postcode_l = postcode_r')})"
)
GUARD_SQL = f"""CASE
    WHEN {IDENTIFIER_CONFLICT_SQL} AND {IDENTIFIER_AGREES_SQL} THEN 'review'
    WHEN {IDENTIFIER_CONFLICT_SQL} THEN 'apart'
    WHEN {IDENTIFIER_AGREES_SQL} AND {GENERATION_GAP_SQL} THEN 'review'
    WHEN {IDENTIFIER_AGREES_SQL} THEN 'link'
    WHEN {GENERATION_GAP_SQL} THEN 'apart'
    WHEN NOT {FORENAMES_COMPATIBLE_SQL} AND {DOBS_FAR_SQL} THEN 'apart'
    WHEN {SEX_DIFFERS_SQL} AND (NOT {FORENAMES_COMPATIBLE_SQL} OR {DOBS_DIFFER_SQL}) THEN 'apart'
    WHEN NOT {FORENAMES_COMPATIBLE_SQL} OR {DOBS_DIFFER_SQL} THEN 'review'
    WHEN {SEX_DIFFERS_SQL} AND NOT {FORENAMES_EQUAL_SQL} THEN 'review'
    WHEN {DOB_MISSING_ELSEWHERE_SQL} THEN 'review'
    ELSE 'link'
END"""
GUARD_VERDICTS = ("link", "review", "apart")

# EM runs on two rules that each leave the other's fields free to learn.
BLOCKING_RULES_FOR_TRAINING: tuple[str, ...] = (
    'l."date_of_birth" = r."date_of_birth" AND l."postcode_sector" = r."postcode_sector"',
    'l."forename" = r."forename" AND l."surname" = r."surname"',
)


def settings_dict(*, prior: float = 1e-5, dialect: str = DIALECT) -> dict[str, Any]:
    """The untrained model: comparisons, blocking rules and the prior."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": dialect} for rule in BLOCKING_RULES_FOR_PREDICTION
        ],
        "comparisons": comparisons(dialect),
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


# Columns the guard reads that no comparison uses: kept in the scored pairs (also for a model saved without them).
GUARD_ONLY_COLUMNS = ("middle_names", "middle_name_variants")


def retain_guard_columns(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` (changed in place) keeping ``GUARD_ONLY_COLUMNS`` in scored pairs, so ``GUARD_SQL`` can read them."""
    retain = list(settings.get("additional_columns_to_retain") or [])
    settings["additional_columns_to_retain"] = retain + [c for c in GUARD_ONLY_COLUMNS if c not in retain]
    return settings


def _linker(con, table: str, settings: dict[str, Any]):
    from splink import DuckDBAPI, Linker

    retain_guard_columns(settings)

    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(table, dataset_display_name=table)
    return Linker(sdf, settings, log_level=logging.ERROR), db_api


def train(con, table: str, *, caps: TrainingCaps, prior: float) -> dict[str, Any]:
    """Train the model on ``table``: u by random sampling, then EM on each training rule; returns Splink's JSON.

    Levels with a fixed m (or u) keep it (bounded weights, above).
    """
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


def comparison_count(con, table: str, rules: tuple[str, ...] = BLOCKING_RULES_FOR_PREDICTION) -> list[dict[str, Any]]:
    """Splink's exact count of the comparisons the prediction rules generate, rule by rule (marginal, cumulative)."""
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    sdf = DuckDBAPI(connection=con).register(table, dataset_display_name=table)
    return count_comparisons_from_blocking_rules(
        sdf, blocking_rules=list(rules), link_type="dedupe_only", record_sample_proportion=1.0,
    )


def _scored(con, scored: str, out_table: str, *, append: bool = False) -> None:
    """Keep a scored pair's ids, probability and the guard's verdict (``GUARD_SQL``); ``apart`` pairs are dropped."""
    select = (
        f"SELECT unique_id_l, unique_id_r, match_probability, verdict AS guard, {IDENTIFIER_AGREES_SQL} AS id_agrees "
        f"FROM (SELECT *, {GUARD_SQL} AS verdict FROM {scored}) WHERE verdict <> 'apart'"
    )
    if append:
        con.execute(f"INSERT INTO {out_table} {select}")
    else:
        con.execute(f"CREATE OR REPLACE TABLE {out_table} AS {select}")


def predict(con, table: str, model: dict[str, Any], *, threshold: float, out_table: str) -> int:
    """Score every blocked pair of ``table`` at or above ``threshold``; write them, with the guard's verdict, to ``out_table``."""
    linker, _ = _linker(con, table, copy.deepcopy(model))
    scored = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    _scored(con, scored.physical_name, out_table)
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
    _scored(con, between.physical_name, out_table)
    _scored(con, within.physical_name, out_table, append=True)
    return con.execute(f"SELECT count(*) FROM {out_table}").fetchall()[0][0]


def model_is_current(model: dict[str, Any]) -> bool:
    """Whether ``model`` has this code's comparisons and levels (a model saved before they changed does not)."""
    def shape(settings: dict[str, Any]) -> list[tuple[str, list[str]]]:
        return [(c.get("output_column_name"), [lvl.get("sql_condition") for lvl in c.get("comparison_levels", [])])
                for c in settings.get("comparisons", [])]

    return shape(model) == shape(settings_dict())


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
