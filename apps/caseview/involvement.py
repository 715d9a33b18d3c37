"""Who is involved with a family, derived from the data: agencies and services, now and in the past.

``family_involvement(viewer=..., family=..., on=None)`` reads the same facts as the chronology, with the
same rule (members the viewer may see, datasets and sections the role sees), and maps them to services
(``SERVICES``, documented in docs/casework.md, "Chronology and involvement"):

* a service is **involved now** when its latest evidence on or before ``on`` (default today) is within its
  ``current_days`` (the extracts record dated events, not open and close dates), otherwise **in the past**;
  evidence after ``on`` is ignored, so the answer for a past day is what was known of that day;
* **school**: one entry per school, now while an enrolment spans ``on`` (no end date, or ending on or after it);
* **early help**: also involved now while an early-help episode of a member is open
  (``Family.lead_professionals``), naming its lead professional.

Each involvement carries its evidence (date, what, whom, which dataset). Four queries, whatever the family.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q

from apps.indicators.models import IndicatorDefinition, PersonIndicator
from apps.people.visibility import sections_q, visible_dataset_ids
from apps.schools.models import Enrolment

from .chronology import dataset_source, early_help_episodes, family_members_seen


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    indicators: tuple[str, ...] = ()  # event indicators that show the service is involved, whoever recorded them
    datasets: tuple[str, ...] = ()  # every event indicator these datasets record shows it too
    current_days: int = 365  # evidence this recent (before ``on``) means "involved now"


SERVICES: tuple[Service, ...] = (
    Service("social-care", "Children's social care",
            indicators=("child-in-need", "child-protection-plan", "child-looked-after")),
    Service("families-in-focus", "Families in Focus or social care",
            indicators=("open-to-families-in-focus-or-social-care",)),
    Service("early-help", "Early help", datasets=("ehm-episodes", "ehm-referrals")),
    Service("youth-offending", "Youth Offending Team",
            indicators=("youth-caution-or-restorative-justice",), datasets=("bcc-youth-offending",)),
    Service("housing-support", "Housing support",
            indicators=("accessed-homeless-prevention-support", "person-in-rent-arrears")),
    Service("drug-alcohol", "Drug and alcohol support", indicators=("accessed-drug-or-alcohol-support",)),
    Service("asb-team", "Anti-social behaviour team", indicators=("subject-managed-by-asb-team",)),
)
SCHOOL = "school"


@dataclass
class Evidence:
    on: date | None
    what: str
    person: object  # people.Person
    source: str


@dataclass
class Involvement:
    code: str  # a SERVICES code, or "school"
    name: str  # the service, or the school's name
    now: bool
    since: date | None  # the earliest evidence
    last: date | None  # the latest evidence (for a school: the end of the last enrolment, None while enrolled)
    members: list = field(default_factory=list)  # Persons, in the order first seen
    evidence: list[Evidence] = field(default_factory=list)  # newest first
    contact: str = ""  # e.g. the lead professional of an open early-help episode

    def add(self, item: Evidence) -> None:
        self.evidence.append(item)
        if item.person not in self.members:
            self.members.append(item.person)


@dataclass
class FamilyInvolvement:
    now: list[Involvement]
    past: list[Involvement]


def _indicator_involvements(*, viewer, persons: dict, on: date) -> dict[str, Involvement]:
    codes = {code for s in SERVICES for code in s.indicators}
    dataset_codes = {code for s in SERVICES for code in s.datasets}
    rows = (
        PersonIndicator.objects.filter(person_id__in=list(persons), definition__kind=IndicatorDefinition.Kind.EVENT,
                                       dataset_id__in=visible_dataset_ids(viewer), indicator_date__lte=on)
        .filter(Q(definition__code__in=sorted(codes)) | Q(dataset__code__in=sorted(dataset_codes)))
        .filter(sections_q(viewer, path="definition__category__section__code"))
        .select_related("definition", "dataset__provider")
        .order_by("-indicator_date", "pk")
    )
    found: dict[str, Involvement] = {}
    for ind in rows:
        for service in SERVICES:
            if ind.definition.code not in service.indicators and ind.dataset.code not in service.datasets:
                continue
            inv = found.get(service.code)
            if inv is None:
                inv = found[service.code] = Involvement(
                    code=service.code, name=service.name, since=ind.indicator_date, last=ind.indicator_date,
                    now=(on - ind.indicator_date) <= timedelta(days=service.current_days))
            inv.since = ind.indicator_date
            inv.add(Evidence(on=ind.indicator_date, what=ind.definition.name, person=persons[ind.person_id],
                             source=dataset_source(ind.dataset)))
    return found


def _school_involvements(*, viewer, persons: dict, on: date) -> list[Involvement]:
    rows = (
        Enrolment.objects.filter(person_id__in=list(persons), dataset_id__in=visible_dataset_ids(viewer))
        .filter(Q(date_from__isnull=True) | Q(date_from__lte=on))
        .select_related("school", "dataset__provider")
        .order_by("school__name", "-date_from", "pk")
    )
    by_school: dict[int, Involvement] = {}
    for en in rows:
        current = en.date_to is None or en.date_to >= on
        inv = by_school.get(en.school_id)
        name = f"{en.school.name} (pupil referral unit)" if en.school.is_pupil_referral_unit else en.school.name
        if inv is None:
            inv = by_school[en.school_id] = Involvement(code=SCHOOL, name=name, now=False, since=en.date_from,
                                                        last=None)
        inv.now = inv.now or current
        if en.date_from and (inv.since is None or en.date_from < inv.since):
            inv.since = en.date_from
        if not current and (inv.last is None or en.date_to > inv.last):
            inv.last = en.date_to
        what = "Enrolled" + (f" until {en.date_to:%-d %B %Y}" if en.date_to else "")
        inv.add(Evidence(on=en.date_from, what=what, person=persons[en.person_id], source=dataset_source(en.dataset)))
    for inv in by_school.values():
        if inv.now:
            inv.last = None
    return list(by_school.values())


def family_involvement(*, viewer, family, on: date | None = None) -> FamilyInvolvement:
    """Agencies and services involved with ``family`` on ``on`` (default today) and before, as ``viewer`` may see."""
    on = on or date.today()
    persons = family_members_seen(viewer=viewer, family=family)
    if not persons:
        return FamilyInvolvement(now=[], past=[])
    found = _indicator_involvements(viewer=viewer, persons=persons, on=on)
    episodes = [e for e in early_help_episodes(viewer=viewer, family=family, persons=persons, dated=False)
                if e["on"] is None or e["on"] <= on]
    if episodes:
        inv = found.get("early-help")
        if inv is None:
            inv = found["early-help"] = Involvement(code="early-help", name="Early help", now=True, since=None, last=None)
        inv.now = True
        inv.contact = next((e["name"] for e in episodes if e.get("name")), "")
        for e in episodes:
            inv.add(Evidence(on=e["on"], what="Early help episode open", person=persons[e["person"]],
                             source="Early Help Module"))
            if e["on"] is not None and (inv.since is None or e["on"] < inv.since):
                inv.since = e["on"]
        inv.evidence.sort(key=lambda item: item.on or date.min, reverse=True)
    order = {s.code: n for n, s in enumerate(SERVICES)}
    services = sorted(found.values(), key=lambda inv: order[inv.code])
    schools = _school_involvements(viewer=viewer, persons=persons, on=on)
    every = services + schools
    return FamilyInvolvement(now=[i for i in every if i.now], past=[i for i in every if not i.now])


def involvement_by_code(result: FamilyInvolvement) -> dict[str, list[Involvement]]:
    """``{code: [Involvement, ...]}`` over now and past (several schools share the code "school")."""
    grouped: dict[str, list[Involvement]] = defaultdict(list)
    for inv in result.now + result.past:
        grouped[inv.code].append(inv)
    return dict(grouped)
