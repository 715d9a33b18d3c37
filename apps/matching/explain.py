"""Why the model scored a pair as it did, and how well it agrees with the reviewers.

Everything here reads the run's stored Splink model JSON, so it follows whatever
comparisons the model has.

* **Explanations** (``explain_grey_pairs``, run time): each grey-zone pair the
  run queued is scored again by Splink with intermediate columns kept, and
  Splink's own waterfall data (``linker.visualisations.waterfall_chart(...)``,
  with ``remove_sensitive_data``: weights only, no names or dates) is stored on
  the ``ClericalPair``. ``waterfall`` turns it into the review page's rows: per
  comparison the level reached, m, u, the match weight and the cumulative match
  probability, ending at the pair's stored probability.
* **Accuracy from labels** (``accuracy_from_labels``, run time): reviewers'
  "same person" / "not the same person" decisions are labels. Each labelled pair
  is scored by Splink with the run's model (Splink's labels path, which scores a
  pair whether or not the blocking rules would have compared it, and reports
  ``found_by_blocking_rules``), then the run's family guard is applied. A pair
  is a predicted match at threshold t when blocking found it, the guard lets it
  through and its probability is at least t; a blocked-out or guarded pair is a
  predicted non-match at every threshold. ``truth_table`` counts TP/FP/FN/TN at
  each threshold of ``THRESHOLDS``.
* **Bars** (``weight_bars``, ``waterfall``): the geometry of the server-drawn SVG
  bars on the run and review pages (no inline styles, no script).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

# Probability thresholds the accuracy table is measured at (the run's own two are added).
THRESHOLDS: tuple[float, ...] = (
    0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9999,
)
# Fewer labels than this on either side (matches, non-matches) and the table says not to trust it.
MIN_LABELS_EACH = 30
# Waterfall rows kept on a ClericalPair: weights only, nothing from the records themselves.
WATERFALL_FIELDS = (
    "column_name", "label_for_charts", "log2_bayes_factor", "comparison_vector_value",
    "m_probability", "u_probability", "term_frequency_adjustment", "bayes_factor_description",
)


def _linker(con, table: str, model: dict[str, Any]):
    from splink import DuckDBAPI, Linker

    from .splink_model import retain_guard_columns

    settings = retain_guard_columns(copy.deepcopy(model))
    settings["retain_intermediate_calculation_columns"] = True
    settings["retain_matching_columns"] = True
    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(table, dataset_display_name=table)
    return Linker(sdf, settings, log_level=logging.ERROR)


def _score_pairs(linker, con, pairs: list[tuple[int, int, float]]):
    """Splink's scores (with intermediate columns) of exactly ``pairs``: (id, id, clerical score) -> SplinkDataFrame.

    Splink's labels path (``prediction_errors_from_labels_table``) scores each
    listed pair with the input table's term frequencies, as ``predict`` does.
    It returns only the pairs it calls errors: a label below the threshold
    with a probability above it is a "false positive", so labels of -1 against
    a threshold of -0.5 return every pair. The true labels travel in
    ``label``, kept beside them.
    """
    con.execute("DROP TABLE IF EXISTS tf_explain_labels")
    con.register("tf_explain_labels_arrow", pa.table({
        "unique_id_l": pa.array([min(a, b) for a, b, _ in pairs], type=pa.int64()),
        "unique_id_r": pa.array([max(a, b) for a, b, _ in pairs], type=pa.int64()),
        "label": pa.array([float(s) for _, _, s in pairs], type=pa.float64()),
    }))
    try:
        con.execute(
            "CREATE TABLE tf_explain_labels AS SELECT unique_id_l, unique_id_r, label, "
            "CAST(-1.0 AS DOUBLE) AS clerical_match_score FROM tf_explain_labels_arrow"
        )
    finally:
        con.unregister("tf_explain_labels_arrow")
    return linker.evaluation.prediction_errors_from_labels_table(
        "tf_explain_labels", include_false_positives=True, include_false_negatives=False, threshold_match_probability=-0.5
    )


# ---------------------------------------------------------------------------------------------------------------------
# Explanations of grey-zone pairs


def explain_grey_pairs(con, run, table: str, model: dict[str, Any]) -> int:
    """Store Splink's waterfall data on each of ``run``'s clerical pairs; returns how many were explained.

    A pair's profiles are its records' profiles (a profile's id is its first record's, which the pair names).
    """
    from .models import ClericalPair

    pairs = list(ClericalPair.objects.filter(run=run).values_list("pk", "record_low_id", "record_high_id"))
    if not pairs:
        return 0
    linker = _linker(con, table, model)
    scored = _score_pairs(linker, con, [(a, b, 0.0) for _, a, b in pairs])
    try:
        records = scored.as_record_list()
    finally:
        scored.drop_table_from_database_and_remove_from_cache()
    data = linker.visualisations.waterfall_chart(records, filter_nulls=False, remove_sensitive_data=True).chart_data
    by_record: dict[int, list[dict[str, Any]]] = {}
    for row in data:
        by_record.setdefault(row["record_number"], []).append({f: row.get(f) for f in WATERFALL_FIELDS})
    explained = {(r["unique_id_l"], r["unique_id_r"]): by_record[i] for i, r in enumerate(records)}
    updates = []
    for pk, a, b in pairs:
        rows = explained.get((a, b))
        if rows is not None:
            updates.append(ClericalPair(pk=pk, explanation=rows))
    ClericalPair.objects.bulk_update(updates, ["explanation"], batch_size=500)
    return len(updates)


def probability(weight: float) -> float:
    """Match weight (log2 Bayes factor, prior included) -> match probability."""
    if weight > 1000:
        return 1.0
    bf = 2.0**weight
    return bf / (1.0 + bf)


@dataclass(frozen=True)
class WaterfallRow:
    """One step of a pair's explanation, as the review page shows it."""

    comparison: str  # "Prior", a comparison's output column, "tf_<column>", "Final score"
    level: str  # the level reached (its label for charts)
    weight: float  # this step's match weight (log2 Bayes factor); the final row's is the total
    m: float | None
    u: float | None
    cumulative_probability: float  # the match probability after this step
    description: str
    kind: str  # "prior", "comparison", "tf", "final"
    bar: Bar


@dataclass(frozen=True)
class Bar:
    """A diverging bar in a -1..1 box: where it starts and how wide it is (the SVG's viewBox is -100 0 200 10)."""

    x: float
    width: float
    positive: bool


def _bar(value: float, scale: float) -> Bar:
    extent = 0.0 if scale <= 0 else min(abs(value) / scale, 1.0) * 100
    return Bar(x=0.0 if value >= 0 else -extent, width=round(extent, 2), positive=value >= 0)


def waterfall(explanation: list[dict[str, Any]], *, show_nulls: bool = True) -> list[WaterfallRow]:
    """Splink's waterfall data of one pair -> rows with the cumulative probability after each step.

    Splink's data starts with the prior and ends with the final score (whose weight is the sum of the
    steps). Levels that change nothing (Bayes factor 1: a missing value, no term-frequency adjustment)
    are left out unless ``show_nulls``.
    """
    steps = [r for r in explanation if r["column_name"] != "Final score"]
    scale = max((abs(r["log2_bayes_factor"] or 0.0) for r in explanation), default=1.0)
    rows, total = [], 0.0
    for r in steps:
        weight = r["log2_bayes_factor"] or 0.0
        total += weight
        if r["column_name"] == "Prior":
            kind = "prior"
        elif r.get("term_frequency_adjustment"):
            kind = "tf"
        else:
            kind = "comparison"
        if kind == "tf" and weight == 0.0:
            continue  # Splink lists a term-frequency step for every level of the comparison; it acts on some only
        if not show_nulls and kind != "prior" and weight == 0.0:
            continue
        rows.append(WaterfallRow(
            comparison=r["column_name"], level=r["label_for_charts"] or "", weight=weight,
            m=r.get("m_probability"), u=r.get("u_probability"), cumulative_probability=probability(total),
            description=r.get("bayes_factor_description") or "", kind=kind, bar=_bar(weight, scale),
        ))
    final = next((r for r in explanation if r["column_name"] == "Final score"), None)
    if final is not None:
        rows.append(WaterfallRow(
            comparison="Final score", level="Total match weight", weight=final["log2_bayes_factor"], m=None, u=None,
            cumulative_probability=probability(final["log2_bayes_factor"]), description="", kind="final",
            bar=_bar(final["log2_bayes_factor"], scale),
        ))
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# The model's parameters, for the run page


@dataclass(frozen=True)
class WeightRow:
    comparison: str
    level: str
    m: float | None
    u: float | None
    weight: float | None
    weight_bar: Bar | None
    m_bar: Bar | None  # m and u on 0..1 (right-pointing bars)
    u_bar: Bar | None


def weight_bars(parameters: list[dict[str, Any]]) -> list[WeightRow]:
    """The run's stored parameter table (``MatchRun.parameters``) with bar geometry for each level."""
    scale = max((abs(p["weight"]) for p in parameters if p.get("weight") is not None), default=1.0)
    return [
        WeightRow(
            comparison=p["comparison"], level=p["level"], m=p.get("m"), u=p.get("u"), weight=p.get("weight"),
            weight_bar=_bar(p["weight"], scale) if p.get("weight") is not None else None,
            m_bar=_bar(p["m"], 1.0) if p.get("m") is not None else None,
            u_bar=_bar(p["u"], 1.0) if p.get("u") is not None else None,
        )
        for p in parameters
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Accuracy from reviewers' labels


@dataclass(frozen=True)
class LabelledPair:
    """A reviewer's label and what the run's pipeline makes of the pair."""

    label: bool  # the reviewer said "the same person"
    probability: float  # Splink's match probability under the run's model
    found_by_blocking: bool  # one of the prediction blocking rules compares the pair
    passes_guard: bool  # the family guard lets it through

    def predicted_match(self, threshold: float) -> bool:
        return self.found_by_blocking and self.passes_guard and self.probability >= threshold


def truth_table(pairs: list[LabelledPair], thresholds: list[float]) -> list[dict[str, Any]]:
    """TP, FP, FN, TN, precision and recall at each threshold (precision is blank with no predicted match)."""
    rows = []
    for t in sorted(set(thresholds)):
        tp = sum(1 for p in pairs if p.label and p.predicted_match(t))
        fp = sum(1 for p in pairs if not p.label and p.predicted_match(t))
        fn = sum(1 for p in pairs if p.label and not p.predicted_match(t))
        tn = sum(1 for p in pairs if not p.label and not p.predicted_match(t))
        rows.append({
            "threshold": t, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp else (0.0 if fp + fn else None),
        })
    return rows


def _guard_sql() -> str:
    """The run's family guard as SQL on a scored pair's ``_l``/``_r`` columns (``splink_model``)."""
    from .splink_model import GUARD_SQL

    return f"(({GUARD_SQL}) = 'link')"


def score_labels(con, table: str, model: dict[str, Any], labels: list[tuple[int, int, bool]]) -> list[LabelledPair]:
    """Score labelled profile pairs (id, id, same person?) with ``model``; blocking and the guard are applied."""
    if not labels:
        return []
    linker = _linker(con, table, model)
    scored = _score_pairs(linker, con, [(a, b, 1.0 if same else 0.0) for a, b, same in labels])
    try:
        rows = con.execute(
            f"SELECT s.match_probability, coalesce(s.found_by_blocking_rules, false), coalesce({_guard_sql()}, false), "
            f"l.label FROM {scored.physical_name} s JOIN tf_explain_labels l "
            f"ON l.unique_id_l = s.unique_id_l AND l.unique_id_r = s.unique_id_r"
        ).fetchall()
    finally:
        scored.drop_table_from_database_and_remove_from_cache()
    return [LabelledPair(label=label >= 0.5, probability=p, found_by_blocking=bool(found), passes_guard=bool(guard))
            for p, found, guard, label in rows]


def accuracy_from_labels(con, table: str, model: dict[str, Any], decided: list[tuple[int, int, str]], *,
                         thresholds: list[float]) -> dict[str, Any]:
    """The run's accuracy analysis from reviewers' labels (stored as ``MatchRun.accuracy``).

    ``decided``: (profile, profile, outcome) as ``profiles.decided_pairs`` gives them; "not sure" is no label.
    """
    from .models import ReviewDecision

    labels = [(a, b, o == ReviewDecision.Outcome.MATCH) for a, b, o in decided
              if o in (ReviewDecision.Outcome.MATCH, ReviewDecision.Outcome.NOT_MATCH)]
    pairs = score_labels(con, table, model, labels)
    positives = sum(1 for p in pairs if p.label)
    return {
        "labels": len(pairs),
        "positives": positives,
        "negatives": len(pairs) - positives,
        "not_sure": sum(1 for _, _, o in decided if o == ReviewDecision.Outcome.NOT_SURE),
        "blocked_out": sum(1 for p in pairs if not p.found_by_blocking),
        "guarded": sum(1 for p in pairs if p.found_by_blocking and not p.passes_guard),
        "min_each": MIN_LABELS_EACH,
        "rows": truth_table(pairs, list(thresholds)),
    }


def enough_labels(accuracy: dict[str, Any]) -> bool:
    return min(accuracy.get("positives", 0), accuracy.get("negatives", 0)) >= accuracy.get("min_each", MIN_LABELS_EACH)
