"""Reads for the whole-family assessment and outcome plan, as one viewer may see them.

The framework's headlines and needs, with the data evidence found for the family's current members:
the indicators of each need's codes, only for members the viewer may see (``person_q``), only in the
sections the viewer's role sees (``sections_q``) and from datasets it sees (``visible_dataset_ids``).
A need whose only evidence is in a hidden section shows no evidence to that viewer, and the evidence
stored on a confirmed need is filtered by the same rule before it is shown; outcome evidence likewise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from apps.accounts.access import CASEWORK
from apps.indicators.models import FrameworkNeed, PersonIndicator
from apps.indicators.selectors import current_on_q
from apps.people.models import FamilyMembership, Person
from apps.people.visibility import person_q, sections_q, visible_dataset_ids

from .measures import MEASURE_NAMES, PRACTITIONER
from .models import Case, CaseNeed
from .visibility import case_need_q

ASSESSING = (Case.State.ALLOCATED, Case.State.ASSESSED)  # needs are confirmed or removed in these states
RECORDING = (Case.State.ASSESSED, Case.State.PLAN_AGREED)  # practitioner outcomes are recorded in these


def current_members(viewer, case: Case, *, on: dt.date | None = None) -> list[Person]:
    """The family's current members the viewer may see, oldest first."""
    on = on or timezone.localdate()
    ids = FamilyMembership.objects.filter(family_id=case.family_id).filter(current_on_q(on)).filter(
        person_q(viewer, via="person__")).values("person_id")
    return list(Person.objects.filter(pk__in=ids).order_by("date_of_birth", "pk"))


def data_evidence(viewer, case: Case, person_ids, needs) -> dict[int, list[dict]]:
    """``{framework need id: [record, ...]}``: indicators of each need's codes about ``person_ids`` the viewer may see."""
    codes_of = {n.pk: {d.pk for d in n.indicators.all()} for n in needs}
    wanted = set().union(*codes_of.values()) if codes_of else set()
    if not wanted or not person_ids:
        return {n.pk: [] for n in needs}
    datasets = visible_dataset_ids(viewer)
    rows = list(
        PersonIndicator.objects.filter(person_id__in=list(person_ids), definition_id__in=sorted(wanted))
        .filter(sections_q(viewer, path="definition__category__section__code"))
        .filter(Q(dataset__isnull=True) | Q(dataset_id__in=sorted(datasets)))
        .values_list("pk", "person_id", "definition_id", "definition__code", "definition__name", "indicator_date",
                     "dataset__code", "definition__category__section__code")
        .order_by("-indicator_date", "pk")
    )
    found = {}
    for need in needs:
        found[need.pk] = [
            {"id": pk, "person": person, "indicator": code, "indicator_name": name, "date": day.isoformat(),
             "dataset": dataset or "", "section": section}
            for pk, person, definition, code, name, day, dataset, section in rows if definition in codes_of[need.pk]
        ]
    return found


def _seen(viewer, records, person_ids, dataset_codes) -> list[dict]:
    """Stored records (need or outcome evidence) the viewer may see: their person, section and dataset."""
    return [r for r in records or [] if (r.get("person") is None or r["person"] in person_ids)
            and (not r.get("section") or r["section"] in viewer.sections)
            and (not r.get("dataset") or r["dataset"] in dataset_codes)]


def _named(records, names) -> list[dict]:
    return [{**r, "person_name": names.get(r.get("person"), "")} for r in records]


@dataclass
class NeedRow:
    need: FrameworkNeed
    evidence: list[dict]  # data evidence the viewer may see now
    confirmed: CaseNeed | None = None
    confirmed_evidence: list[dict] = field(default_factory=list)
    outcome: dict | None = None  # the last check, as the viewer may see it
    measure_name: str = ""
    person_names: list[str] = field(default_factory=list)  # the confirmed need's members the viewer may see

    @property
    def default_measure_name(self) -> str:
        return MEASURE_NAMES.get(self.need.outcome_measure, self.need.outcome_measure)

    @property
    def evidence_person_ids(self) -> set[int]:
        return {r["person"] for r in self.evidence}


@dataclass
class HeadlineRow:
    headline: object
    needs: list[NeedRow]

    @property
    def confirmed(self) -> int:
        return sum(1 for n in self.needs if n.confirmed)


def _outcome_seen(viewer, evidence: dict, person_ids, dataset_codes) -> dict | None:
    if not evidence:
        return None
    parts = {}
    for key in ("progress", "achieved", "sustained"):
        verdict = evidence.get(key)
        if verdict:
            parts[key] = {**verdict, "records": _seen(viewer, verdict.get("records"), person_ids, dataset_codes)}
    return {"checked_on": evidence.get("checked_on"), "kind": evidence.get("kind"), **parts}


def case_plan(viewer, case: Case) -> dict:
    """Everything the "Assessment and plan" tab shows, filtered for ``viewer``."""
    from apps.sources.models import Dataset

    members = current_members(viewer, case)
    member_ids = {p.pk for p in members}
    names = {p.pk: f"{p.forename} {p.surname}" for p in members}
    dataset_codes = set(Dataset.objects.filter(pk__in=sorted(visible_dataset_ids(viewer))).values_list("code", flat=True))
    needs = list(FrameworkNeed.objects.filter(headline__framework_id=case.framework_id)
                 .select_related("headline").prefetch_related("indicators").order_by("headline__order", "order"))
    evidence = data_evidence(viewer, case, member_ids, needs)
    confirmed = {cn.need_id: cn for cn in CaseNeed.objects.filter(case_need_q(viewer), case=case).prefetch_related("persons")}
    headlines: dict[int, HeadlineRow] = {}
    for need in needs:
        cn = confirmed.get(need.pk)
        row = NeedRow(need=need, evidence=_named(evidence[need.pk], names))
        if cn:
            row.confirmed = cn
            row.confirmed_evidence = _named(_seen(viewer, cn.evidence, member_ids, dataset_codes), names)
            row.person_names = [names[p.pk] for p in cn.persons.all() if p.pk in names]
            row.outcome = _outcome_seen(viewer, cn.outcome_evidence, member_ids, dataset_codes)
            row.measure_name = MEASURE_NAMES.get(cn.outcome_measure, cn.outcome_measure)
        headlines.setdefault(need.headline_id, HeadlineRow(need.headline, [])).needs.append(row)
    return {
        "headlines": list(headlines.values()), "members": members,
        "confirmed_count": len(confirmed), "assessing": case.state in ASSESSING, "recording": case.state in RECORDING,
        "can_complete": case.state == Case.State.ALLOCATED, "can_agree": case.state == Case.State.ASSESSED,
        "is_lead": viewer.can(CASEWORK) and case.lead_practitioner_id == viewer.user.pk, "practitioner": PRACTITIONER,
    }
