"""Reads for the casework pages, already filtered for the viewer.

Cases come only from ``Case.objects.visible_to(viewer)`` (``visibility.case_q``); families only from
``Family.objects.visible_to(viewer)``; members only through ``person_q`` (a restricted member a reader
may not see leaves no trace: not in consent, counts or next actions); a family's criteria as the reader
may see them come from ``apps.indicators.selectors`` (never computed here). Each function issues a fixed
number of queries, whatever the number of rows (the eligible list adds one computation per family that
has a member the reader may not see, which are few; see ``eligible_families``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models as dm
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from apps.accounts.access import CASE_TRIAGE, CASEWORK
from apps.indicators.models import Badge, FamilyCriteria
from apps.indicators.selectors import eligible_families_by_priority, family_criteria_for, visible_badges
from apps.people.models import Family, FamilyMembership
from apps.people.visibility import family_q, person_q

from .models import Case, CaseNeed, CaseTransition, Consent, TeamMember
from .visibility import case_need_q, managed_team_ids

S = Case.State
PAGE_SIZE = 25


def _today() -> dt.date:
    return timezone.localdate()


# --- who may act on a case ------------------------------------------------------------------


def may_work(viewer, case: Case) -> bool:
    """Consent, closure and the team around the family: the lead practitioner, or a manager of the case's team
    (or any manager while the case has no team yet). The case must already be visible to the viewer."""
    if viewer.can(CASEWORK) and case.lead_practitioner_id == viewer.user.pk:
        return True
    return viewer.can(CASE_TRIAGE) and (case.team_id is None or case.team_id in managed_team_ids(viewer))


def may_triage(viewer, case: Case) -> bool:
    """Triage and allocation: a manager of the case's team, or any manager while it has none."""
    return viewer.can(CASE_TRIAGE) and (case.team_id is None or case.team_id in managed_team_ids(viewer))


# --- the eligible families list ---------------------------------------------------------------


@dataclass
class EligibleRow:
    family: Family
    area: str
    badges: list[str]
    problems: list[str]  # headline problem names the reader sees met
    problem_count: int
    dependent_children: int
    open_case: Case | None  # the family's open case, if any
    case_visible: bool  # may the reader open the case page?


@dataclass
class EligiblePage:
    rows: list[EligibleRow]
    total: int
    page: int
    pages: int
    family_ids: list[int] = field(default_factory=list)


def _sort_key(by_needs: bool, need_count, problem_count, max_risk, cost, family_id) -> tuple:
    """A family's place in ``priority_order`` (what the framework counts first, then risk, then cost)."""
    return (-need_count if by_needs else 0, -problem_count, -float(max_risk), -float(cost), family_id)


KEY_FIELDS = ("need_count", "problem_count", "max_risk", "estimated_cost", "family_id")


def eligible_families(*, viewer, area: str = "", badge: str = "", problems: int | None = None,
                      has_case: str = "", reference: str = "", page: int = 1) -> EligiblePage:
    """Families eligible under the current criteria as the reader may see them, in priority order, one page.

    The stored criteria (the refresh's, over every member and every section) are what the reader would be
    shown for a family whose current members they may all see, when their role sees every section: those
    families are filtered, ordered, counted and paged in the database (the visibility rule as a semi-join,
    the page by ``LIMIT``), and only the page's rows are read. The others (a family with a current
    restricted member, or every family for a role that does not see every section) are computed by
    ``apps.indicators.selectors.family_criteria_for`` (the family page's own computation) and merged into
    the order: a family eligible only because of what the reader may not see is not listed, and a badge or
    a problem count comes only from what they may see.
    """
    from django.db import connection

    from apps.accounts.models import Section

    # the one rule as a Q on the joined family (family_q), which PostgreSQL plans better than ``family__in``
    criteria = eligible_families_by_priority().filter(family_q(viewer, via="family__"))
    if area:
        criteria = criteria.filter(family__household__address__area=area)
    reference = reference.strip().upper()
    if reference:
        criteria = criteria.filter(family__reference__startswith=reference)
    open_cases = Case.objects.filter(family=OuterRef("family_id"), state__in=Case.OPEN_STATES)
    if has_case == "yes":
        criteria = criteria.filter(Exists(open_cases))
    elif has_case == "no":
        criteria = criteria.exclude(Exists(open_cases))
    by_needs = criteria.query.order_by[0] == "-need_count"  # the framework's order (``priority_order``)

    # the families whose stored criteria count a member the reader may not see, or all when a section is hidden
    if viewer.sections >= set(Section.objects.values_list("code", flat=True)):
        spells = defaultdict(list)
        for family_id, date_from, date_to in FamilyMembership.objects.filter(person__is_restricted=True).values_list(
                "family_id", "date_from", "date_to"):
            spells[family_id].append((date_from, date_to))
        recompute = [family_id for family_id, as_of in criteria.filter(family_id__in=list(spells)).values_list(
            "family_id", "as_of") if any((start is None or start <= as_of) and (end is None or end >= as_of)
                                         for start, end in spells[family_id])] if spells else []
        stored = criteria.exclude(family_id__in=recompute) if recompute else criteria
    else:
        recompute, stored = list(criteria.values_list("family_id", flat=True)), criteria.none()
    if problems is not None:
        stored = stored.filter(problem_count=problems)
    if badge and connection.features.supports_json_field_contains:
        stored = stored.filter(badges__contains=[badge])
    elif badge:  # SQLite (development): the badge test in Python
        stored = stored.filter(family_id__in=[family_id for family_id, codes in stored.values_list(
            "family_id", "badges") if badge in codes])

    views = {family.pk: family_criteria_for(viewer=viewer, family=family)
             for family in Family.objects.filter(pk__in=recompute)} if recompute else {}
    merged = []  # the recomputed families the reader is shown, in priority order
    for family_id, view in views.items():
        if view is None or not view.is_eligible:
            continue
        c = view.criteria
        if badge and badge not in view.badges or problems is not None and c.problem_count != problems:
            continue
        merged.append((_sort_key(by_needs, c.need_count, c.problem_count, c.max_risk, c.estimated_cost, family_id),
                       family_id))
    merged.sort()

    total = stored.count() + len(merged)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    first, last = (page - 1) * PAGE_SIZE, page * PAGE_SIZE
    # at most len(merged) recomputed families come before a stored one, so the page's stored families are among
    # stored ranks [first - len(merged), last); each family's place is its rank plus what precedes it in the other
    low = max(0, first - len(merged))
    window = [(_sort_key(by_needs, *key[:4], key[4]), key[4]) for key in stored.values_list(*KEY_FIELDS)[low:last]]
    placed = []
    for rank, (key, family_id) in enumerate(window, start=low):
        placed.append((rank + sum(1 for other, _ in merged if other < key), family_id))
    for rank, (key, family_id) in enumerate(merged):
        placed.append((rank + low + sum(1 for other, _ in window if other < key), family_id))
    page_ids = [family_id for place, family_id in sorted(placed) if first <= place < last]
    by_id = {row.family_id: row for row in FamilyCriteria.objects.filter(family_id__in=page_ids).select_related(
        "family__household__address")}
    chosen = [(None, by_id[family_id], views.get(family_id)) for family_id in page_ids]

    family_ids = [row.family_id for _, row, _ in chosen]
    cases = {c.family_id: c for c in Case.objects.filter(family_id__in=family_ids, state__in=Case.OPEN_STATES)}
    seen_cases = set(Case.objects.visible_to(viewer).filter(pk__in=[c.pk for c in cases.values()])
                     .values_list("pk", flat=True))
    shown_badges = {b.code: b for b in visible_badges(viewer)}
    problem_names = _problem_names()
    rows = []
    for _, row, view in chosen:
        badges = view.badges if view else row.badges
        problem_codes = [p.code for p in view.problems] if view else row.problems
        household = row.family.household
        case = cases.get(row.family_id)
        rows.append(EligibleRow(
            family=row.family, area=household.address.get_area_display() if household and household.address else "",
            badges=[b for b in badges if b in shown_badges], problems=[problem_names.get(p, p) for p in problem_codes],
            problem_count=view.criteria.problem_count if view else row.problem_count,
            dependent_children=view.criteria.dependent_children if view else row.dependent_children,
            open_case=case, case_visible=case is not None and case.pk in seen_cases,
        ))
    return EligiblePage(rows=rows, total=total, page=page, pages=pages, family_ids=family_ids)


def _problem_names() -> dict[str, str]:
    from apps.indicators.models import HeadlineProblem

    return dict(HeadlineProblem.objects.values_list("code", "name"))


def badge_choices(viewer) -> list[tuple[str, str]]:
    return [(b.code, f"{b.code}: {b.name}") for b in visible_badges(viewer)]


def badge_names() -> dict[str, str]:
    return dict(Badge.objects.values_list("code", "name"))


# --- one case ---------------------------------------------------------------------------------


@dataclass
class MemberConsent:
    person: object
    role: str
    is_adult: bool
    in_force: Consent | None
    history: list[Consent]  # oldest first, in force last


@dataclass
class NextAction:
    text: str
    overdue: bool = False


@dataclass
class CaseSummary:
    case: Case
    members: list[MemberConsent]
    transitions: list[CaseTransition]
    next_action: NextAction | None
    needs_met: int
    needs_total: int
    adults_without_consent: int  # visible adults without consent given


def visible_members(viewer, case: Case, *, on: dt.date | None = None) -> list[FamilyMembership]:
    """The case family's current members the viewer may see, adults first."""
    on = on or _today()
    memberships = FamilyMembership.objects.filter(person_q(viewer, via="person__"), family_id=case.family_id).filter(
        Q(date_from__isnull=True) | Q(date_from__lte=on), Q(date_to__isnull=True) | Q(date_to__gte=on),
    ).select_related("person").order_by("person__date_of_birth", "person_id")
    return sorted(memberships, key=lambda m: m.role == FamilyMembership.Role.CHILD)


def case_summary(*, viewer, case: Case) -> CaseSummary:
    memberships = visible_members(viewer, case)
    person_ids = [m.person_id for m in memberships]
    history: dict[int, list[Consent]] = defaultdict(list)
    for consent in (Consent.objects.filter(case=case, person_id__in=person_ids)
                    .select_related("recorded_by").prefetch_related("partners").order_by("recorded_at", "id")):
        history[consent.person_id].append(consent)
    members = [
        MemberConsent(person=m.person, role=m.get_role_display(), is_adult=m.role != FamilyMembership.Role.CHILD,
                      in_force=(history[m.person_id] or [None])[-1], history=history[m.person_id])
        for m in memberships
    ]
    missing = 0 if case.statutory_basis else sum(
        1 for m in members if m.is_adult and (m.in_force is None or m.in_force.status != Consent.Status.GIVEN))
    met, total = plan_progress([case], viewer=viewer).get(case.pk, (0, 0))
    return CaseSummary(
        case=case, members=members,
        transitions=list(CaseTransition.objects.filter(case=case).select_related("by").order_by("at", "id")),
        next_action=next_action(case, adults_without_consent=missing), needs_met=met, needs_total=total,
        adults_without_consent=missing,
    )


def plan_progress(cases, *, viewer) -> dict[int, tuple[int, int]]:
    """(needs met, needs in the plan) per case id, of the needs the viewer sees (``case_need_q``): met is the
    outcome achieved (``CaseNeed.outcome_status``)."""
    progress: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for case_id, status in CaseNeed.objects.filter(case_need_q(viewer), case__in=[c.pk for c in cases]).values_list(
            "case_id", "outcome_status"):
        progress[case_id][1] += 1
        progress[case_id][0] += status == CaseNeed.Outcome.ACHIEVED
    return {k: (v[0], v[1]) for k, v in progress.items()}


def next_action(case: Case, *, adults_without_consent: int = 0, today: dt.date | None = None) -> NextAction | None:
    """What needs doing next on a case, from its state."""
    today = today or _today()
    if case.state == S.IDENTIFIED:
        return NextAction("Triage: accept, decline or not now")
    if case.state == S.TRIAGED:
        return NextAction("Seek consent")
    if case.state == S.CONSENT:
        if adults_without_consent:
            n = adults_without_consent
            return NextAction(f"Record consent for {n} adult{'s' if n != 1 else ''}")
        return NextAction("Allocate a lead practitioner")
    if case.state == S.ALLOCATED:
        return NextAction("Complete the whole-family assessment")
    if case.state == S.ASSESSED:
        return NextAction("Agree the outcome plan")
    if case.state == S.PLAN_AGREED:
        if case.next_review_on is None:
            return NextAction("Set the next review date")
        if case.next_review_on < today:
            return NextAction(f"Review overdue since {case.next_review_on:%-d %B %Y}", overdue=True)
        return NextAction(f"Review due on {case.next_review_on:%-d %B %Y}")
    if case.state == S.CLOSED:
        return NextAction("Closed: awaiting the outcome check")
    if case.state == S.OUTCOME_CHECKED:
        return NextAction("Outcome checked: awaiting the results claim")
    return None


def _visible_adults_without_consent(viewer, cases) -> dict[int, int]:
    """Per case seeking consent: the adults the viewer may see whose consent in force is not 'given'."""
    waiting = [c for c in cases if c.state == S.CONSENT and not c.statutory_basis]
    if not waiting:
        return {}
    today = _today()
    adults = defaultdict(set)
    for family_id, person_id in FamilyMembership.objects.filter(
            person_q(viewer, via="person__"), family_id__in={c.family_id for c in waiting}).exclude(
            role=FamilyMembership.Role.CHILD).filter(
            Q(date_from__isnull=True) | Q(date_from__lte=today), Q(date_to__isnull=True) | Q(date_to__gte=today),
    ).values_list("family_id", "person_id"):
        adults[family_id].add(person_id)
    newest: dict[tuple[int, int], str] = {}
    for case_id, person_id, status in Consent.objects.filter(case__in=[c.pk for c in waiting]).order_by(
            "recorded_at", "id").values_list("case_id", "person_id", "status"):
        newest[(case_id, person_id)] = status
    return {c.pk: sum(1 for pid in adults[c.family_id] if newest.get((c.pk, pid)) != Consent.Status.GIVEN)
            for c in waiting}


# --- caseloads ----------------------------------------------------------------------------------


@dataclass
class CaseloadRow:
    case: Case
    next_action: NextAction | None
    needs_met: int
    needs_total: int


def _rows(viewer, cases) -> list[CaseloadRow]:
    """The rows of some cases (one page), with what needs doing next and plan progress, in the order given."""
    cases = list(cases)
    missing = _visible_adults_without_consent(viewer, cases)
    progress = plan_progress(cases, viewer=viewer)
    return [CaseloadRow(case=c, next_action=next_action(c, adults_without_consent=missing.get(c.pk, 0)),
                        needs_met=progress.get(c.pk, (0, 0))[0], needs_total=progress.get(c.pk, (0, 0))[1])
            for c in cases]


class Caseload:
    """A caseload in its order (open first, then overdue reviews, then by next review, then reference), counted
    and paged in the database: ``len()`` is one count, a slice builds the rows of that page only."""

    def __init__(self, viewer, cases):
        today = _today()
        self.viewer = viewer
        self.cases = cases.select_related("family", "lead_practitioner", "team").annotate(
            closed_rank=dm.Case(dm.When(state__in=Case.OPEN_STATES, then=0), default=1),
            overdue_rank=dm.Case(dm.When(state=S.PLAN_AGREED, next_review_on__lt=today, then=0), default=1),
        ).order_by("closed_rank", "overdue_rank", F("next_review_on").asc(nulls_last=True), "reference")
        self._total = None

    def __len__(self) -> int:
        if self._total is None:
            self._total = self.cases.count()
        return self._total

    def __getitem__(self, index: slice) -> list[CaseloadRow]:
        return _rows(self.viewer, self.cases[index])


def my_caseload(*, viewer) -> Caseload:
    """The cases the viewer leads (open first, overdue reviews first), with what needs doing next."""
    return Caseload(viewer, Case.objects.visible_to(viewer).filter(lead_practitioner=viewer.user).exclude(
        state__in=[S.CLAIMED]))


def team_cases(*, viewer, team_id: int | None = None, open_only: bool = True) -> Caseload:
    """Cases of the teams the viewer manages, and cases not yet allocated to a team."""
    managed = sorted(managed_team_ids(viewer))
    cases = Case.objects.visible_to(viewer).filter(Q(team_id__in=managed) | Q(team__isnull=True))
    if team_id is not None:
        cases = cases.filter(team_id=team_id)
    if open_only:
        cases = cases.filter(state__in=Case.OPEN_STATES)
    return Caseload(viewer, cases)


def managed_teams(viewer):
    from apps.accounts.models import Team

    return Team.objects.filter(pk__in=sorted(managed_team_ids(viewer))).order_by("name")


def allocatable_practitioners(viewer) -> list[tuple[object, object]]:
    """(team, user) pairs: members of the teams the viewer manages whose roles work cases."""
    from apps.accounts.access import Viewer
    from apps.accounts.models import TeamMembership

    pairs = []
    for membership in TeamMembership.objects.filter(team_id__in=sorted(managed_team_ids(viewer))).select_related(
            "team", "user").order_by("team__name", "user__last_name", "user__username"):
        user = membership.user
        if user.is_active and any(CASEWORK in r.capabilities for r in Viewer.for_user(user).access.roles):
            pairs.append((membership.team, user))
    return pairs


# --- the team around the family ---------------------------------------------------------------


def case_team_members(*, case: Case) -> tuple[list[TeamMember], list[TeamMember]]:
    """(current, past) people added by hand to the case's team around the family."""
    today = _today()
    current, past = [], []
    for member in TeamMember.objects.filter(case=case).select_related("organisation", "added_by"):
        (current if member.is_current(today) else past).append(member)
    return current, past


# --- the family page's case at a glance --------------------------------------------------------


@dataclass
class CaseAtAGlance:
    case: Case
    lead_name: str
    lead_email: str
    team_name: str
    team_email: str
    team_phone: str
    may_see_case: bool  # consent, plan and the link only then
    summary: CaseSummary | None


def case_at_a_glance(*, viewer, family) -> CaseAtAGlance | None:
    """The family's open case (else its latest), as this reader may see it.

    Every reader who may see the family sees that there is a case, its state, who leads it and how to reach
    them (the point of Think Family: anyone working with a member knows whom to call). Consent, plan progress
    and the next review are shown only to readers who may see the case itself (``Case.objects.visible_to``),
    and consent only of the members they may see.
    """
    case = (Case.objects.filter(family=family).exclude(state__in=[S.DECLINED, S.DEFERRED])
            .select_related("lead_practitioner", "team").order_by("-opened_on", "-id").first())
    if case is None:
        return None
    open_case = Case.objects.filter(family=family, state__in=Case.OPEN_STATES).select_related(
        "lead_practitioner", "team").first()
    case = open_case or case
    may_see = Case.objects.visible_to(viewer).filter(pk=case.pk).exists()
    lead = case.lead_practitioner
    return CaseAtAGlance(
        case=case, lead_name=(lead.get_full_name() or lead.get_username()) if lead else "",
        lead_email=lead.email if lead else "", team_name=case.team.name if case.team else "",
        team_email=case.team.email if case.team else "", team_phone=case.team.phone if case.team else "",
        may_see_case=may_see, summary=case_summary(viewer=viewer, case=case) if may_see else None,
    )
