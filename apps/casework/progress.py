"""Family progress data: a snapshot of each member's circumstances at allocation and at closure.

``progress_snapshots_take(case=..., stage=...)`` writes one ``ProgressSnapshot`` per member of the
case's family on that day, from what the indicators, school records and risk scores say then. It
runs inside the allocation's or closure's transaction (receivers of ``signals.case_allocated`` and
``signals.case_closed``, connected in ``apps.py``), so a snapshot exists exactly when the transition
does.

Every item of a snapshot carries the section it comes from (``section``, or ``sections`` for what is
drawn from several), so a page can show each reader only what their role sees: the reader-side is
``progress_selectors.py``. The layout of ``data``:

    role, relationship, age
    problems: [{code, name, sections}]        headline problems met through the member's indicators
    needs:    [{code, name, headline, sections}]  needs of the case's framework met through them
    indicators: [{code, name, category, section, count, latest}]   every indicator held (not risk scores)
    attendance: {section, term, percent, sessions_attended, sessions_possible} | null   the last full term
    exclusions: [{kind, start_date, section}]
    risk_scores: [{code, name, value, sections, family_evidence: [person ids]}]
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction

from apps.common.dates import age_on
from apps.indicators.models import IndicatorDefinition, PersonIndicator, RiskFactor, RiskModel
from apps.indicators.selectors import current_on_q, risk_model_sections
from apps.people.models import FamilyMembership
from apps.schools.models import AttendanceMonth, Exclusion
from apps.sources.specs import dataset_specs

from .models import Case, ProgressSnapshot

# School terms as the attendance figures use them: (name, first month, last month)
TERMS = (("Autumn", 9, 12), ("Spring", 1, 3), ("Summer", 4, 7))


def last_full_term(on: dt.date) -> tuple[str, dt.date, dt.date]:
    """The most recent school term that ended before ``on``: (label, first day, last day)."""
    candidates = []
    for year in (on.year, on.year - 1):
        for name, first, last in TERMS:
            start = dt.date(year, first, 1)
            end = (dt.date(year + (last == 12), last % 12 + 1, 1)) - dt.timedelta(days=1)
            if end < on:
                academic = f"{year}/{str(year + 1)[-2:]}" if first >= 9 else f"{year - 1}/{str(year)[-2:]}"
                candidates.append((end, f"{name} term {academic}", start))
    end, label, start = max(candidates)
    return label, start, end


def _indicators(person_ids) -> dict[int, list[dict]]:
    rows = (PersonIndicator.objects.filter(person_id__in=person_ids)
            .exclude(definition__kind=IndicatorDefinition.Kind.RISK)
            .values_list("person_id", "definition__code", "definition__name", "definition__category__name",
                         "definition__category__section__code", "indicator_date")
            .order_by("person_id", "definition__category__order", "definition__order"))
    found: dict[int, dict[str, dict]] = defaultdict(dict)
    for pid, code, name, category, section, day in rows:
        item = found[pid].setdefault(code, {"code": code, "name": name, "category": category, "section": section,
                                            "count": 0, "latest": None})
        item["count"] += 1
        item["latest"] = max(item["latest"] or day.isoformat(), day.isoformat())
    return {pid: list(items.values()) for pid, items in found.items()}


def _problems(held: list[dict]) -> list[dict]:
    """Headline problems met through these indicators, each with the sections that meet it."""
    from apps.indicators.models import HeadlineProblem

    codes = {i["code"]: i["section"] for i in held}
    rows = (IndicatorDefinition.objects.filter(code__in=codes, category__badge__isnull=False)
            .values_list("code", "category__badge__headline_problem_id"))
    by_problem: dict[int, set[str]] = defaultdict(set)
    for code, problem_id in rows:
        by_problem[problem_id].add(codes[code])
    return [{"code": p.code, "name": p.name, "sections": sorted(by_problem[p.pk])}
            for p in HeadlineProblem.objects.filter(pk__in=by_problem).order_by("order")]


def _needs(held: list[dict], framework) -> list[dict]:
    """Needs of the case's framework met through these indicators."""
    if framework is None:
        return []
    from apps.indicators.models import FrameworkNeed

    codes = {i["code"]: i["section"] for i in held}
    needs = (FrameworkNeed.objects.filter(headline__framework=framework, indicators__code__in=codes)
             .select_related("headline").prefetch_related("indicators").distinct().order_by("headline__order", "order"))
    return [{"code": n.code, "name": n.name, "headline": n.headline.name,
             "sections": sorted({codes[i.code] for i in n.indicators.all() if i.code in codes})} for n in needs]


def _attendance(person_ids, on: dt.date) -> dict[int, dict]:
    label, start, end = last_full_term(on)
    rows = (AttendanceMonth.objects.filter(person_id__in=person_ids, month__gte=start, month__lte=end)
            .values_list("person_id", "dataset__section__code", "sessions_attended", "sessions_possible"))
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for pid, section, attended, possible in rows:
        totals[(pid, section)][0] += attended
        totals[(pid, section)][1] += possible
    found = {}
    for (pid, section), (attended, possible) in sorted(totals.items()):
        if possible:
            found[pid] = {"section": section, "term": label, "sessions_attended": attended,
                          "sessions_possible": possible, "percent": round(100 * attended / possible, 1)}
    return found


def _exclusions(person_ids, on: dt.date) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    rows = (Exclusion.objects.filter(person_id__in=person_ids, start_date__lte=on)
            .values_list("person_id", "kind", "start_date", "dataset__section__code").order_by("start_date", "id"))
    for pid, kind, start, section in rows:
        found[pid].append({"kind": kind, "start_date": start.isoformat(), "section": section})
    return found


def _risk_scores(person_ids, members: list[int]) -> dict[int, list[dict]]:
    """Risk scores held, with every section the model reads; a model reading other members' records names
    them (``family_evidence``) so a reader who may not see one of them is not shown the score."""
    models = {m.indicator_id: m for m in RiskModel.objects.select_related("indicator__category__section")
              .prefetch_related("factors")}
    indicator_sections = dict(IndicatorDefinition.objects.values_list("code", "category__section__code"))
    specs = list(dataset_specs().values())
    sections = {i: sorted(risk_model_sections(m, indicator_sections, specs)) for i, m in models.items()}
    family = {i for i, m in models.items()
              if any(f.kind == RiskFactor.Kind.FAMILY_INDICATOR for f in m.factors.all())}
    found: dict[int, list[dict]] = defaultdict(list)
    rows = (PersonIndicator.objects.filter(person_id__in=person_ids, definition_id__in=list(models))
            .values_list("person_id", "definition_id", "definition__code", "definition__name", "value")
            .order_by("person_id", "definition__order", "-indicator_date"))
    seen = set()
    for pid, def_id, code, name, value in rows:
        if (pid, def_id) in seen:
            continue
        seen.add((pid, def_id))
        found[pid].append({"code": code, "name": name, "value": str(value) if value is not None else None,
                           "sections": sections[def_id],
                           "family_evidence": sorted(set(members) - {pid}) if def_id in family else []})
    return found


@transaction.atomic
def progress_snapshots_take(*, case: Case, stage: str, on: dt.date | None = None) -> list[ProgressSnapshot]:
    """Snapshot every member of the case's family on ``on`` (the allocation or closure date). Idempotent:
    a stage already taken is kept as it was."""
    if stage not in ProgressSnapshot.Stage.values:
        raise ValueError(f"Unknown progress stage {stage!r}")
    on = on or (case.allocated_on if stage == ProgressSnapshot.Stage.START else case.closed_on)
    if ProgressSnapshot.objects.filter(case=case, stage=stage).exists():
        return list(ProgressSnapshot.objects.filter(case=case, stage=stage))
    memberships = list(FamilyMembership.objects.filter(current_on_q(on), family_id=case.family_id)
                       .select_related("person").order_by("person_id"))
    ids = [m.person_id for m in memberships]
    held, attendance = _indicators(ids), _attendance(ids, on)
    exclusions, risk = _exclusions(ids, on), _risk_scores(ids, ids)
    snapshots = []
    for m in memberships:
        mine = held.get(m.person_id, [])
        data = {
            "role": m.role, "relationship": m.relationship, "age": age_on(m.person.date_of_birth, on),
            "problems": _problems(mine), "needs": _needs(mine, case.framework),
            "indicators": mine, "attendance": attendance.get(m.person_id) if m.role == "child" else None,
            "exclusions": exclusions.get(m.person_id, []), "risk_scores": risk.get(m.person_id, []),
        }
        snapshots.append(ProgressSnapshot(case=case, stage=stage, person_id=m.person_id, taken_on=on, data=data))
    return ProgressSnapshot.objects.bulk_create(snapshots)


def on_case_allocated(sender, *, case, **kwargs) -> None:
    progress_snapshots_take(case=case, stage=ProgressSnapshot.Stage.START)


def on_case_closed(sender, *, case, **kwargs) -> None:
    progress_snapshots_take(case=case, stage=ProgressSnapshot.Stage.CLOSE)
