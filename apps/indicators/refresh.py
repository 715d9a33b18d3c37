"""The refresh: derived indicators, risk scores and family criteria, swapped in one transaction.

``refresh(...)`` (called by ``services.indicators_refresh``) reads the projected
master data and writes, for every person (or the members of one family):

1. **Derived indicators** (``IndicatorDefinition.kind == "derived"``), one per
   person and indicator, each by one aggregate query (``derived.DERIVED_RULES``);
2. **Risk scores** (``kind == "risk"``) from the risk models (``risk.py``);
3. **Family criteria**: badges, headline problems, eligibility, risk and cost (``families.py``).

All of it happens inside one ``transaction.atomic()``: readers keep seeing the
previous figures until it commits, and an error half-way leaves everything as
it was. A ``RefreshRun`` row, written outside that transaction, records the run.
See docs/indicators.md for each definition.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from apps.people.models import Family, FamilyMembership, Person

from . import risk
from .derived import DERIVED_RULES, Derived, Period
from .families import family_criteria_rebuild
from .models import FamilyCriteria, IndicatorDefinition, PersonIndicator, RefreshRun, RiskModel
from .signals import refresh_rebuilt
from .sql import execute, in_clause, scope_clause, table

Progress = Callable[..., None]
LOCK_KEY = 0x7F1D1CA7  # PostgreSQL advisory lock: one refresh at a time


@dataclass
class Scope:
    """Who a refresh covers: everyone (``None``) or the members and families of one family."""

    person_ids: list[int] | None
    family_ids: list[int] | None

    @classmethod
    def everyone(cls) -> Scope:
        return cls(None, None)

    @classmethod
    def of_family(cls, family: Family) -> Scope:
        """The family's members (past and present) and every family any of them belongs to."""
        persons = sorted(set(FamilyMembership.objects.filter(family=family).values_list("person_id", flat=True)))
        families = set(FamilyMembership.objects.filter(person_id__in=persons).values_list("family_id", flat=True))
        return cls(persons, sorted(families | {family.pk}))


def _computed_definitions() -> dict[int, IndicatorDefinition]:
    return {
        d.pk: d for d in IndicatorDefinition.objects.filter(
            kind__in=[IndicatorDefinition.Kind.DERIVED, IndicatorDefinition.Kind.RISK]).select_related("category")
    }


def _snapshot(scope: Scope, definitions) -> tuple[set[tuple[int, int]], set[int]]:
    """(person, indicator) pairs of computed indicators, and eligible family ids, within ``scope``."""
    indicators = PersonIndicator.objects.filter(definition_id__in=list(definitions))
    criteria = FamilyCriteria.objects.filter(is_eligible=True)
    if scope.person_ids is not None:
        indicators = indicators.filter(person_id__in=scope.person_ids)
        criteria = criteria.filter(family_id__in=scope.family_ids)
    return set(indicators.values_list("person_id", "definition_id")), set(criteria.values_list("family_id", flat=True))


def _delete_computed(scope: Scope, definitions) -> int:
    ids_sql, params = in_clause("definition_id", definitions)
    where, scope_params = scope_clause("person_id", scope.person_ids)
    through = PersonIndicator.source_records.through
    execute(f"DELETE FROM {table(through)} WHERE personindicator_id IN "
            f"(SELECT id FROM {table(PersonIndicator)} WHERE {ids_sql}{where})", params + scope_params)
    return execute(f"DELETE FROM {table(PersonIndicator)} WHERE {ids_sql}{where}", params + scope_params)


def _insert(definition: IndicatorDefinition, rows: list[Derived], support: tuple[str, list] | None) -> None:
    PersonIndicator.objects.bulk_create(
        [PersonIndicator(person_id=r.person_id, definition=definition, indicator_date=r.indicator_date, value=r.value,
                         notes=r.notes, dataset_id=r.dataset_id) for r in rows],
        batch_size=2000,
    )
    if support and rows:
        sql, params = support
        through = PersonIndicator.source_records.through
        execute(
            f"INSERT INTO {table(through)} (personindicator_id, sourcerecord_id) "
            f"SELECT DISTINCT pi.id, s.source_record_id FROM {table(PersonIndicator)} pi "
            f"JOIN ({sql}) s ON s.person_id = pi.person_id "
            f"WHERE pi.definition_id = %s",
            [*params, definition.pk],
        )


def derived_indicators_rebuild(period: Period, scope: Scope, progress: Progress) -> dict[str, int]:
    counts = {}
    definitions = {d.code: d for d in IndicatorDefinition.objects.filter(kind=IndicatorDefinition.Kind.DERIVED)}
    missing = set(definitions) - set(DERIVED_RULES)
    if missing:
        raise LookupError(f"no derivation rule for derived indicator(s) {', '.join(sorted(missing))}")
    for code, rule in DERIVED_RULES.items():
        if code not in definitions:
            continue
        rows, support = rule(period, scope.person_ids)
        _insert(definitions[code], rows, support)
        counts[code] = len(rows)
        progress("derived", indicator=code, people=len(rows))
    return counts


def risk_scores_rebuild(period: Period, scope: Scope, progress: Progress) -> dict[str, int]:
    dobs_qs = Person.objects.all() if scope.person_ids is None else Person.objects.filter(pk__in=scope.person_ids)
    dobs = dict(dobs_qs.values_list("pk", "date_of_birth"))
    counts = {}
    for model in RiskModel.objects.select_related("indicator").prefetch_related("factors"):
        scores = risk.model_scores(model, as_of=period.as_of, person_ids=scope.person_ids, dobs=dobs)
        _insert(model.indicator, [Derived(s.person_id, period.as_of, s.score, s.notes(model), None) for s in scores], None)
        counts[model.indicator.code] = len(scores)
        progress("risk", indicator=model.indicator.code, people=len(scores))
    return counts


def refresh(*, run: RefreshRun, scope: Scope, progress: Progress) -> RefreshRun:
    """Recompute everything in ``scope`` in one transaction and record the outcome on ``run``."""
    period = Period(run.as_of)
    started = time.monotonic()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            definitions = _computed_definitions()
            before, eligible_before = _snapshot(scope, definitions)
            counts: dict = {}
            if scope.person_ids is None:
                for model in RiskModel.objects.filter(method=RiskModel.Method.LEARNED).select_related("indicator"):
                    summary = risk.neet_model_train(model=model, as_of=period.as_of)
                    counts[f"trained:{model.indicator.code}"] = summary.get("auc_held_out") or summary.get("skipped")
                    progress("trained", model=model.indicator.code, cohort=summary["cohort"],
                             auc=summary.get("auc_held_out"))
            counts["removed_rows"] = _delete_computed(scope, list(definitions))
            progress("cleared", rows=counts["removed_rows"])
            counts["derived"] = derived_indicators_rebuild(period, scope, progress)
            counts["risk"] = risk_scores_rebuild(period, scope, progress)
            counts |= family_criteria_rebuild(period, scope, run)
            progress("families", families=counts["families"], eligible=counts["eligible"])
            for _, followed in refresh_rebuilt.send(sender=RefreshRun, run=run, period=period, scope=scope,
                                                    progress=progress, before=before):
                counts |= followed or {}
            after, eligible_after = _snapshot(scope, definitions)
    except BaseException as error:
        run.status = RefreshRun.Status.FAILED
        run.error = f"{type(error).__name__}: {error}"
        _finish(run, started)
        raise
    category = {pk: d.category.code for pk, d in definitions.items()}
    run.added = dict(sorted(Counter(category[d] for _, d in after - before).items()))
    run.removed = dict(sorted(Counter(category[d] for _, d in before - after).items()))
    references = dict(Family.objects.filter(pk__in=eligible_after ^ eligible_before).values_list("pk", "reference"))
    run.newly_eligible = sorted(references[f] for f in eligible_after - eligible_before)
    run.no_longer_eligible = sorted(references[f] for f in eligible_before - eligible_after)
    run.counts = counts
    run.status = RefreshRun.Status.SUCCEEDED
    _finish(run, started)
    return run


def _finish(run: RefreshRun, started: float) -> None:
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.monotonic() - started, 3)
    run.save()
