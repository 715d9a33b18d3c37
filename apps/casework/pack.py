"""The pre-visit information pack: what the lead practitioner should know before the first visit.

Read for one reader: the case must be visible to them by the case rule **and** they must be its lead
practitioner or a manager of its team (``pack_case_or_404``); anyone else gets the 404 a missing id
gets. Members the reader may not see are absent; facts come only from sections their role sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from apps.caseview.involvement import FamilyInvolvement, family_involvement
from apps.indicators.selectors import current_on_q, family_criteria_for
from apps.people.models import FamilyMembership
from apps.people.visibility import person_q, persons_as_seen

from .models import Case, CaseNeed
from .pages import visible_case_or_404
from .safety import NOT_IN_THE_DATA, SafetyWarning, safety_warnings
from .visibility import managed_team_ids

ROLE_ORDER = {"parent": 0, "other_adult": 1, "child": 2}


def pack_case_or_404(viewer, pk: int) -> Case:
    """The case, if the reader may see it and leads it or manages its team."""
    case = visible_case_or_404(viewer, pk)
    if case.lead_practitioner_id == viewer.user.pk or (case.team_id and case.team_id in managed_team_ids(viewer)):
        return case
    raise Http404("Page not found")


@dataclass(frozen=True)
class Pack:
    case: Case
    on: object
    members: list  # FamilyMembership, person as seen
    involvement: FamilyInvolvement  # apps.caseview.involvement: services involved now and in the past
    needs: list[dict]  # {"name", "headline", "persons"} confirmed at assessment
    problems: list  # headline problems of the family criteria, as the reader may see them
    safety: list[SafetyWarning]
    not_in_the_data: str

    @property
    def person_ids(self) -> list[int]:
        return [m.person_id for m in self.members]


def _needs(viewer, case: Case, visible: dict) -> list[dict]:
    """Needs confirmed at assessment: a need about no member the reader sees, or evidenced by indicators of a
    section their role does not see, is left out."""
    needs = []
    for need in (CaseNeed.objects.filter(case=case).select_related("need__headline")
                 .prefetch_related("persons", "need__indicators__category__section")):
        sections = {i.category.section.code for i in need.need.indicators.all()}
        persons = [visible[p.pk] for p in need.persons.all() if p.pk in visible]
        if not sections <= viewer.sections or (need.persons.all() and not persons):
            continue
        needs.append({"name": need.need.name, "headline": need.need.headline.name, "persons": persons,
                      "outcome": need.outcome_text})
    return needs


def case_pack(*, viewer, case: Case, on=None) -> Pack:
    on = on or timezone.localdate()
    members = list(FamilyMembership.objects.filter(person_q(viewer, via="person__"), current_on_q(on), family=case.family)
                   .select_related("person"))
    members.sort(key=lambda m: (ROLE_ORDER.get(m.role, 3), m.person.date_of_birth or on, m.person_id))
    persons_as_seen(viewer, [m.person for m in members])
    visible = {m.person_id: m.person for m in members}
    criteria = family_criteria_for(viewer=viewer, family=case.family)
    return Pack(
        case=case, on=on, members=members,
        involvement=family_involvement(viewer=viewer, family=case.family, on=on),
        needs=_needs(viewer, case, visible), problems=criteria.problems if criteria else [],
        safety=safety_warnings(viewer=viewer, family=case.family, on=on), not_in_the_data=NOT_IN_THE_DATA,
    )
