"""Risk models: loading them from data, finding the factors people meet, scoring, learning Risk of NEET.

A score is ``100 * logistic(intercept + sum of the weights of the factors met)``.
Evidence for each factor is read set-based from projected tables, never from
source rows (one query per factor, returning ``(person_id, evidence date)``
rows); a factor is met when at least ``min_count`` pieces of evidence are dated
on or before the cut-off (the refresh date when scoring, the start of Year 12
when learning Risk of NEET).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.common.dates import academic_age, academic_year_start, age_on, as_date
from apps.people.models import CustodySpell, ExploitationFlag, FamilyMembership, NeetStatus, Person
from apps.schools.models import Enrolment, Exclusion, School, SENStatus

from .models import IndicatorDefinition, IndicatorUnitCost, PersonIndicator, RiskFactor, RiskModel
from .sql import fetch, in_clause, scope_clause, table

RISK_MODELS_FILE = Path(settings.BASE_DIR) / "fixtures" / "risk_models.json"
NEET_OUTCOME_AGE = 17  # academic age: Year 13
NEET_COHORT_YEARS = 2  # outcomes recorded in the last two years, so their school-age records are still held
MIN_FACTOR_SUPPORT = 5  # a factor must be seen in this many training cohort members to be learned
HELD_OUT_EVERY = 4  # person ids divisible by this are held out for evaluation
# The events an "event" factor may name, each read from the table it is projected into: (table, date column, kind).
EVENTS = {kind: (ExploitationFlag, "flagged_on", kind) for kind in ExploitationFlag.Kind.values} | {
    "custody": (CustodySpell, "started_on", None),
}


@transaction.atomic
def risk_models_load(*, path: Path = RISK_MODELS_FILE) -> dict[str, int]:
    """Load ``fixtures/risk_models.json``: models, factors and unit costs (update-or-create, idempotent).

    A learned model keeps the weights it has learned; its fixture weights are only starting values.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    definitions = {d.code: d for d in IndicatorDefinition.objects.all()}
    for spec in data["risk_models"]:
        definition = definitions.get(spec["indicator"])
        if definition is None or definition.kind != IndicatorDefinition.Kind.RISK:
            raise ValueError(f"{path.name}: risk model {spec['indicator']!r} is not a risk indicator of the catalogue")
        existing = RiskModel.objects.filter(indicator=definition).first()
        keep_learned = (existing is not None and existing.trained_at is not None
                        and spec["method"] == RiskModel.Method.LEARNED)
        defaults = {key: spec[key] for key in
                    ("method", "threshold", "min_factors", "min_age", "max_age", "lead_text", "description")}
        if not keep_learned:
            defaults["intercept"] = spec["intercept"]
        model, _ = RiskModel.objects.update_or_create(indicator=definition, defaults=defaults)
        codes = []
        for order, factor in enumerate(spec["factors"], start=1):
            if factor["kind"] not in RiskFactor.Kind.values:
                raise ValueError(f"{path.name}: factor {factor['code']!r} of {spec['indicator']}: unknown kind {factor['kind']!r}")
            unknown = sorted(set(factor["codes"]) - set(EVENTS)) if factor["kind"] == RiskFactor.Kind.EVENT else []
            if unknown:
                raise ValueError(f"{path.name}: factor {factor['code']!r} of {spec['indicator']}: no projected event "
                                 f"{', '.join(unknown)} (events: {', '.join(sorted(EVENTS))})")
            defaults = {k: factor[k] for k in ("kind", "codes", "min_count", "phrase")} | {"order": order}
            if not keep_learned or not model.factors.filter(code=factor["code"]).exists():
                defaults["weight"] = factor["weight"]
            RiskFactor.objects.update_or_create(model=model, code=factor["code"], defaults=defaults)
            codes.append(factor["code"])
        model.factors.exclude(code__in=codes).delete()
    for cost in data["unit_costs"]:
        if cost["indicator"] not in definitions:
            raise ValueError(f"{path.name}: unit cost for unknown indicator {cost['indicator']!r}")
        IndicatorUnitCost.objects.update_or_create(
            indicator=definitions[cost["indicator"]],
            defaults={"annual_cost": Decimal(str(cost["annual_cost"])), "basis": cost.get("basis", "")},
        )
    return {"risk_models": len(data["risk_models"]), "unit_costs": len(data["unit_costs"])}


# ---- evidence -----------------------------------------------------------------------------


def _current(alias: str) -> str:
    return (f"({alias}.date_from IS NULL OR {alias}.date_from <= %s) "
            f"AND ({alias}.date_to IS NULL OR {alias}.date_to >= %s)")


def factor_evidence(factor: RiskFactor, *, as_of: dt.date, person_ids=None, hidden=None) -> list[tuple[int, dt.date | None]]:
    """``(person_id, evidence date)`` for every piece of evidence of ``factor`` (one query).

    ``hidden`` (a ``Hidden``) leaves out evidence from other people a reader may not see: family
    members who are hidden from them, and memberships of families hidden from them, exactly as if
    those records did not exist. A person's own evidence is never from anyone else.
    """
    codes = factor.codes
    if factor.kind == RiskFactor.Kind.INDICATOR:
        where, params = in_clause("d.code", codes)
        scope, scope_params = scope_clause("pi.person_id", person_ids)
        sql = (f"SELECT pi.person_id, pi.indicator_date FROM {table(PersonIndicator)} pi "
               f"JOIN {table(IndicatorDefinition)} d ON d.id = pi.definition_id WHERE {where}{scope}")
    elif factor.kind == RiskFactor.Kind.EVENT:
        if unknown := sorted(set(codes) - set(EVENTS)):
            raise LookupError(f"risk factor {factor.code!r} names no projected event {', '.join(unknown)}")
        return _event_evidence(codes, person_ids)
    elif factor.kind == RiskFactor.Kind.FAMILY_INDICATOR:
        where, params = in_clause("d.code", codes)
        scope, scope_params = scope_clause("m1.person_id", person_ids)
        unseen, unseen_params = ("", [])
        if hidden is not None:
            persons, person_params = in_clause("m2.person_id", hidden.person_ids)
            families, family_params = in_clause("m2.family_id", hidden.family_ids)
            unseen, unseen_params = f" AND NOT ({persons}) AND NOT ({families})", person_params + family_params
        sql = (f"SELECT DISTINCT m1.person_id, pi.indicator_date FROM {table(FamilyMembership)} m1 "
               f"JOIN {table(FamilyMembership)} m2 ON m2.family_id = m1.family_id AND m2.person_id <> m1.person_id "
               f"JOIN {table(PersonIndicator)} pi ON pi.person_id = m2.person_id "
               f"JOIN {table(IndicatorDefinition)} d ON d.id = pi.definition_id "
               f"WHERE {_current('m1')} AND {_current('m2')} AND {where}{unseen}{scope}")
        params = [as_of] * 4 + params + unseen_params
    elif factor.kind == RiskFactor.Kind.EXCLUSION:
        where, params = in_clause("e.kind", codes)
        scope, scope_params = scope_clause("e.person_id", person_ids)
        sql = f"SELECT e.person_id, e.start_date FROM {table(Exclusion)} e WHERE {where}{scope}"
    elif factor.kind == RiskFactor.Kind.PRU:
        params = [True]
        scope, scope_params = scope_clause("en.person_id", person_ids)
        sql = (f"SELECT en.person_id, en.date_from FROM {table(Enrolment)} en "
               f"JOIN {table(School)} s ON s.id = en.school_id AND s.is_pupil_referral_unit = %s WHERE 1 = 1{scope}")
    elif factor.kind == RiskFactor.Kind.SEN:
        where, params = in_clause("s.status", codes)
        scope, scope_params = scope_clause("s.person_id", person_ids)
        sql = f"SELECT s.person_id, s.recorded_on FROM {table(SENStatus)} s WHERE {where}{scope}"
    else:  # pragma: no cover - the model's choices and risk_models_load refuse other kinds
        raise ValueError(f"unknown risk factor kind {factor.kind!r}")
    return [(pid, as_date(day)) for pid, day in fetch(sql, params + scope_params)]


def _event_evidence(codes, person_ids) -> list[tuple[int, dt.date | None]]:
    """``(person_id, date)`` of each projected event of ``codes`` (see ``EVENTS``), in one query."""
    scope, scope_params = scope_clause("person_id", person_ids)
    parts, params = [], []
    for code in dict.fromkeys(codes):
        model, column, kind = EVENTS[code]
        where, where_params = ("kind = %s", [kind]) if kind else ("1 = 1", [])
        parts.append(f"SELECT person_id, {column} FROM {table(model)} WHERE {where}{scope}")
        params += where_params + scope_params
    if not parts:
        return []
    return [(pid, as_date(day)) for pid, day in fetch(" UNION ALL ".join(parts), params)]


def factors_met(factor: RiskFactor, evidence, cutoff) -> set[int]:
    """Persons with at least ``min_count`` pieces of evidence on or before their cut-off.

    ``cutoff`` is one date, or a dict of person id to date (persons not in it are skipped).
    Undated evidence counts as before any cut-off.
    """
    counts: dict[int, int] = defaultdict(int)
    for person_id, day in evidence:
        limit = cutoff.get(person_id) if isinstance(cutoff, dict) else cutoff
        if limit is None:
            continue
        if day is None or day <= limit:
            counts[person_id] += 1
    return {pid for pid, n in counts.items() if n >= factor.min_count}


# ---- scoring ------------------------------------------------------------------------------


def logistic(x: float) -> float:
    if x < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class RiskScore:
    person_id: int
    score: Decimal
    factors: tuple[RiskFactor, ...]

    def notes(self, model: RiskModel) -> str:
        n = len(self.factors)
        reasons = "; ".join(f"they {f.phrase}" for f in self.factors)
        return f"{model.lead_text} as they meet {n} risk factor{'s' if n != 1 else ''}: {reasons}."


def model_scores(
    model: RiskModel, *, as_of: dt.date, person_ids=None, dobs: dict[int, dt.date | None], hidden=None,
) -> list[RiskScore]:
    """Scores of the people of the model's age range who are flagged (score and factor count at the thresholds).

    ``hidden``: see ``factor_evidence``; the refresh passes none, a reader's page the records hidden from them.
    """
    factors = [f for f in model.factors.all() if f.weight > 0]
    met: dict[int, list[RiskFactor]] = defaultdict(list)
    for factor in factors:
        for pid in factors_met(factor, factor_evidence(factor, as_of=as_of, person_ids=person_ids, hidden=hidden), as_of):
            met[pid].append(factor)
    scores = []
    for pid, person_factors in met.items():
        age = age_on(dobs.get(pid), as_of)
        if age is None or not (model.min_age <= age <= model.max_age) or len(person_factors) < model.min_factors:
            continue
        score = Decimal(100 * logistic(model.intercept + sum(f.weight for f in person_factors))).quantize(Decimal("0.01"))
        if score >= model.threshold:
            scores.append(RiskScore(pid, score, tuple(sorted(person_factors, key=lambda f: f.order))))
    return sorted(scores, key=lambda s: s.person_id)


# ---- learning Risk of NEET ------------------------------------------------------------------


def neet_cohort(*, as_of: dt.date) -> dict[int, tuple[bool, dt.date]]:
    """Young people whose activity at academic age 17 is known: ``{person_id: (was NEET, start of their Year 12)}``.

    Activity EET or NEET from NEET tracking ("NOT-KNOWN" is no outcome), recorded
    in the last ``NEET_COHORT_YEARS`` years; NEET in any record at 17 is the outcome.
    """
    since = dt.date(as_of.year - NEET_COHORT_YEARS, as_of.month, min(as_of.day, 28))
    rows = fetch(
        f"SELECT n.person_id, n.recorded_on, n.activity, p.date_of_birth FROM {table(NeetStatus)} n "
        f"JOIN {table(Person)} p ON p.id = n.person_id "
        f"WHERE n.recorded_on > %s AND n.recorded_on <= %s AND p.date_of_birth IS NOT NULL",
        [since, as_of],
    )
    cohort: dict[int, tuple[bool, dt.date]] = {}
    for pid, day, status, dob in rows:
        day, dob = as_date(day), as_date(dob)
        if status not in ("EET", "NEET") or academic_age(dob, day) != NEET_OUTCOME_AGE:
            continue
        year12 = dt.date(academic_year_start(day).year - 1, 9, 1)
        cohort[pid] = (cohort.get(pid, (False, year12))[0] or status == "NEET", year12)
    return cohort


def auc(scored: list[tuple[float, bool]]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None without both outcomes."""
    positives = sum(1 for _, y in scored if y)
    negatives = len(scored) - positives
    if not positives or not negatives:
        return None
    ranked = sorted(scored, key=lambda s: s[0])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid_rank = (i + 1 + j) / 2
        rank_sum += mid_rank * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@transaction.atomic
def neet_model_train(*, model: RiskModel, as_of: dt.date) -> dict:
    """Learn Risk of NEET's weights from the historical cohort; keep the old weights if it is too small.

    Naive Bayes in additive form: each factor's weight is its log likelihood
    ratio when present minus when absent (smoothed by 0.5), the intercept the
    prior log-odds plus the absent terms. Only factors seen in at least
    ``MIN_FACTOR_SUPPORT`` training members and more common among those NEET
    at 17 (lift above 1) are kept; the others get weight 0 and are not named.
    Trained on person ids not divisible by ``HELD_OUT_EVERY``; the AUC is measured on the rest.
    """
    cohort = neet_cohort(as_of=as_of)
    cutoffs = {pid: year12 for pid, (_, year12) in cohort.items()}
    factors = list(model.factors.all())
    matrix = {f.code: factors_met(f, factor_evidence(f, as_of=as_of), cutoffs) for f in factors}
    train = {pid: y for pid, (y, _) in cohort.items() if pid % HELD_OUT_EVERY}
    test = {pid: y for pid, (y, _) in cohort.items() if not pid % HELD_OUT_EVERY}
    positives = sum(train.values())
    negatives = len(train) - positives
    summary = {"as_of": as_of.isoformat(), "cohort": len(cohort), "neet": sum(y for y, _ in cohort.values()),
               "train": len(train), "held_out": len(test)}
    if positives < MIN_FACTOR_SUPPORT or negatives < MIN_FACTOR_SUPPORT:
        summary["skipped"] = f"too few young people with a known outcome at {NEET_OUTCOME_AGE} to learn from"
        model.training = summary
        model.save(update_fields=["training"])
        return summary
    base_rate = positives / len(train)
    intercept = math.log(positives / negatives)
    learned = {}
    for factor in factors:
        with_factor = matrix[factor.code] & train.keys()
        a = sum(1 for pid in with_factor if train[pid])
        b = len(with_factor) - a
        p1, q1 = (a + 0.5) / (positives + 1), (b + 0.5) / (negatives + 1)
        present, absent = math.log(p1 / q1), math.log((1 - p1) / (1 - q1))
        lift = (a / len(with_factor)) / base_rate if with_factor else None
        keep = len(with_factor) >= MIN_FACTOR_SUPPORT and present > 0
        factor.weight = round(present - absent, 4) if keep else 0.0
        if keep:
            intercept += absent
        learned[factor.code] = {"support": len(with_factor), "neet": a, "lift": None if lift is None else round(lift, 3),
                                "weight": factor.weight}
    RiskFactor.objects.bulk_update(factors, ["weight"])
    model.intercept = round(intercept, 4)
    scored = [
        (model.intercept + sum(f.weight for f in factors if pid in matrix[f.code]), y) for pid, y in test.items()
    ]
    held_out_auc = auc(scored)
    summary |= {"base_rate": round(base_rate, 4), "intercept": model.intercept, "factors": learned,
                "auc_held_out": None if held_out_auc is None else round(held_out_auc, 4)}
    model.training = summary
    model.trained_at = timezone.now()
    model.save(update_fields=["intercept", "training", "trained_at"])
    return summary
