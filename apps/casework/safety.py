"""The pre-visit pack's lone-worker safety section, from the police and partner data the product holds.

The police extracts (``fixtures/datasets/asc-*.json``) carry an event type and a date per row: no
offence type, no weapons marker, no "threat to staff" flag, no location warning. So the warnings are
derived from event categories, as ``SAFETY_SIGNALS`` says (one line each in docs/casework.md, "Progress
data and the pre-visit pack"); what the data cannot say is stated as such in ``NOT_IN_THE_DATA``, the
same text for every family, so its presence says nothing about anyone.

Only current members the reader may see, and only indicators in sections the reader's role sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from apps.indicators.models import PersonIndicator
from apps.indicators.selectors import current_on_q
from apps.people.models import FamilyMembership
from apps.people.visibility import person_q, sections_q

# (kind, heading, indicator codes): in the order the pack shows them
SAFETY_SIGNALS = (
    ("violence", "Violence or risk of violence",
     ("perpetrator-of-dva", "person-committed-offence", "breach-of-order-or-injunction",
      "prisoner-12-months-from-release", "youth-caution-or-restorative-justice")),
    ("domestic-abuse", "Domestic abuse at the address",
     ("victim-of-dva", "involved-in-domestic-incident")),
    ("drugs", "Drugs or alcohol", ("drugs-and-alcohol-incident",)),
    ("asb", "Anti-social behaviour", ("person-committed-asb", "subject-managed-by-asb-team")),
)
NOT_IN_THE_DATA = (
    "The police extracts record the kind of event and its date only: they carry no offence type, "
    "no weapons marker and no warning about threats to staff. Check with the police safeguarding "
    "team and the previous worker before the visit."
)


@dataclass(frozen=True)
class SafetyWarning:
    kind: str
    heading: str
    person: object
    indicator: str
    count: int
    latest: object
    section: str


def safety_warnings(*, viewer, family, on=None) -> list[SafetyWarning]:
    """What the data says a lone worker should know before visiting ``family``: per signal, per member."""
    on = on or timezone.localdate()
    kinds = {code: (kind, heading) for kind, heading, codes in SAFETY_SIGNALS for code in codes}
    order = {kind: n for n, (kind, _, _) in enumerate(SAFETY_SIGNALS)}
    members = {m.person_id: m.person for m in FamilyMembership.objects.filter(
        person_q(viewer, via="person__"), current_on_q(on), family=family).select_related("person")}
    rows = (PersonIndicator.objects.filter(person_id__in=list(members), definition__code__in=list(kinds),
                                           indicator_date__lte=on)
            .filter(sections_q(viewer, path="definition__category__section__code"))
            .values_list("person_id", "definition__code", "definition__name", "definition__category__section__code",
                         "indicator_date"))
    found: dict[tuple[int, str], list] = {}
    for pid, code, name, section, day in rows:
        item = found.setdefault((pid, code), [name, section, 0, day])
        item[2] += 1
        item[3] = max(item[3], day)
    warnings = [SafetyWarning(kind=kinds[code][0], heading=kinds[code][1], person=members[pid], indicator=name,
                              count=count, latest=latest, section=section)
                for (pid, code), (name, section, count, latest) in found.items()]
    return sorted(warnings, key=lambda w: (order[w.kind], -w.latest.toordinal(), w.person.pk, w.indicator))
