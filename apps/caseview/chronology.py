"""A family's chronology: one dated timeline of what every agency recorded about its members.

``family_chronology(viewer=..., family=..., since=None, before=None, limit=...)`` reads, for the family's
current and past members the viewer may see (``person_q``), the dated facts of the datasets and sections
the viewer's role sees (``visible_dataset_ids`` / ``sections_q``), so a reader gets exactly the timeline
they would get if what they may not see did not exist:

* event indicators (``PersonIndicator`` of ``kind=event``: police incidents, social care, benefits, referrals);
* school exclusions, and enrolments (start and, when known, end);
* address moves (the start of an address spell; one entry per person, address and date, naming every source);
* police intelligence risk flags (``ExploitationFlag``) and custody spells (``CustodySpell``);
* open early-help episodes (``Family.lead_professionals``, kept by the projection, with the lead professional).

Derived indicators and risk-model scores are not agency records (the refresh dates them) and are left out.

One query per kind of fact (no per-member query), each on a ``(person, date)`` index, newest first and
capped at ``limit + 1`` rows; the page ends at a date boundary and ``older`` is the ``before`` of the next
page (``None`` when there is nothing older).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from apps.indicators.models import IndicatorDefinition, PersonIndicator
from apps.people.models import AddressHistory, CustodySpell, ExploitationFlag, FamilyMembership
from apps.people.visibility import person_q, sections_q, visible_dataset_ids
from apps.schools.models import Enrolment, Exclusion

DEFAULT_LIMIT = 100


@dataclass
class ChronologyEntry:
    on: date
    kind: str  # event, exclusion, enrolment, left-school, address, risk-flag, custody, early-help
    title: str
    person: object  # people.Person
    source: str  # who recorded it: the dataset's name (and provider)
    detail: str = ""
    order: int = 0  # tie-break inside a day: stable output

    @property
    def sort_key(self) -> tuple:
        return (self.on, self.kind, self.person.pk, self.order)


@dataclass
class Chronology:
    days: list[tuple[date, list[ChronologyEntry]]] = field(default_factory=list)  # newest first
    older: date | None = None  # pass as ``before`` for the next (older) page

    @property
    def entries(self) -> list[ChronologyEntry]:
        return [entry for _day, entries in self.days for entry in entries]


def dataset_source(dataset) -> str:
    if dataset is None:
        return ""
    provider = getattr(dataset, "provider", None)
    return f"{dataset.name} ({provider.name})" if provider is not None else dataset.name


class _Window:
    """The dates asked for, and how far back every kind of fact was read whole (``horizon``)."""

    def __init__(self, *, since, before, limit):
        self.since, self.before, self.limit = since, before, limit
        self.horizon: date | None = None  # facts dated after it were all read; on or before it, maybe not

    def read(self, queryset, field_name: str) -> list:
        if self.since is not None:
            queryset = queryset.filter(**{f"{field_name}__gte": self.since})
        if self.before is not None:
            queryset = queryset.filter(**{f"{field_name}__lt": self.before})
        if self.limit is None:
            return list(queryset)
        rows = list(queryset.order_by(f"-{field_name}", "pk")[: self.limit + 1])
        if len(rows) > self.limit:  # this kind has more: what is on or before its oldest row read may be cut
            oldest = getattr(rows[-1], field_name)
            self.horizon = oldest if self.horizon is None else max(self.horizon, oldest)
        return rows

    def takes(self, on: date) -> bool:
        return (self.since is None or on >= self.since) and (self.before is None or on < self.before)


def _entries(*, viewer, family, persons: dict, window: _Window) -> list[ChronologyEntry]:
    ids = list(persons)
    datasets = visible_dataset_ids(viewer)
    found: list[ChronologyEntry] = []

    indicators = window.read(
        PersonIndicator.objects.filter(person_id__in=ids, definition__kind=IndicatorDefinition.Kind.EVENT,
                                       dataset_id__in=datasets)
        .filter(sections_q(viewer, path="definition__category__section__code"))
        .select_related("definition__category", "dataset__provider"),
        "indicator_date")
    for ind in indicators:
        found.append(ChronologyEntry(on=ind.indicator_date, kind="event", title=ind.definition.name,
                                     person=persons[ind.person_id], source=dataset_source(ind.dataset),
                                     detail=ind.notes, order=ind.pk))

    exclusions = window.read(Exclusion.objects.filter(person_id__in=ids, dataset_id__in=datasets)
                        .select_related("school", "dataset__provider"), "start_date")
    for ex in exclusions:
        detail = ", ".join(x for x in (f"{ex.sessions} sessions" if ex.sessions else "", ex.reason) if x)
        found.append(ChronologyEntry(on=ex.start_date, kind="exclusion",
                                     title=f"{ex.get_kind_display()} exclusion from {ex.school.name}",
                                     person=persons[ex.person_id], source=dataset_source(ex.dataset), detail=detail, order=ex.pk))

    enrolments = Enrolment.objects.filter(person_id__in=ids, dataset_id__in=datasets).select_related("school", "dataset__provider")
    for en in window.read(enrolments.filter(date_from__isnull=False), "date_from"):
        found.append(ChronologyEntry(on=en.date_from, kind="enrolment", title=f"Enrolled at {en.school.name}",
                                     person=persons[en.person_id], source=dataset_source(en.dataset), order=en.pk))
    for en in window.read(enrolments.filter(date_to__isnull=False), "date_to"):
        found.append(ChronologyEntry(on=en.date_to, kind="left-school", title=f"Left {en.school.name}",
                                     person=persons[en.person_id], source=dataset_source(en.dataset), order=en.pk))

    moves: dict[tuple, list] = defaultdict(list)
    spells = window.read(AddressHistory.objects.filter(person_id__in=ids, dataset_id__in=datasets, date_from__isnull=False)
                    .select_related("address", "dataset__provider"), "date_from")
    for spell in spells:
        moves[(spell.date_from, spell.person_id, spell.address_id)].append(spell)
    for (on, pid, _address), same in moves.items():
        address = same[0].address
        found.append(ChronologyEntry(on=on, kind="address", title=f"Moved to {address.one_line}", person=persons[pid],
                                     source="; ".join(sorted({dataset_source(s.dataset) for s in same})), order=same[0].pk))

    for flag in window.read(ExploitationFlag.objects.filter(person_id__in=ids, dataset_id__in=datasets)
                       .select_related("dataset__provider"), "flagged_on"):
        found.append(ChronologyEntry(on=flag.flagged_on, kind="risk-flag", title=f"Risk flag: {flag.get_kind_display()}",
                                     person=persons[flag.person_id], source=dataset_source(flag.dataset), order=flag.pk))

    for spell in window.read(CustodySpell.objects.filter(person_id__in=ids, dataset_id__in=datasets)
                        .select_related("dataset__provider"), "started_on"):
        release = f"Expected release {spell.expected_release:%-d %B %Y}" if spell.expected_release else ""
        found.append(ChronologyEntry(on=spell.started_on, kind="custody", title="Custody started",
                                     person=persons[spell.person_id], source=dataset_source(spell.dataset),
                                     detail=", ".join(x for x in (spell.establishment, release) if x), order=spell.pk))

    for n, episode in enumerate(early_help_episodes(viewer=viewer, family=family, persons=persons)):
        on = episode["on"]
        if window.takes(on):
            found.append(ChronologyEntry(on=on, kind="early-help", title="Early help episode opened",
                                         person=persons[episode["person"]], source="Early Help Module",
                                         detail=f"Lead professional: {episode['name']}" if episode.get("name") else "",
                                         order=n))
    return found


def early_help_episodes(*, viewer, family, persons: dict, dated: bool = True) -> list[dict]:
    """Open early-help episodes of visible members, from a section the viewer sees; ``on`` is the start (or None).

    ``dated``: only those whose start is known (a timeline needs a date).
    """
    result = []
    for episode in family.lead_professionals or ():
        section = episode.get("section")
        if not section or not viewer.sees(section) or episode.get("person") not in persons:
            continue
        since = episode.get("since")
        if dated and not since:
            continue
        result.append({**episode, "on": date.fromisoformat(str(since)[:10]) if since else None})
    return result


def family_members_seen(*, viewer, family) -> dict:
    """``{person_id: Person}``: the family's current and past members the viewer may see (one query)."""
    memberships = FamilyMembership.objects.filter(person_q(viewer, via="person__"), family=family).select_related("person")
    return {m.person_id: m.person for m in memberships}


def family_chronology(*, viewer, family, since: date | None = None, before: date | None = None,
                      limit: int | None = DEFAULT_LIMIT) -> Chronology:
    """What every agency recorded about ``family``'s members, as ``viewer`` may see it, newest first, by day.

    ``since`` (inclusive) and ``before`` (exclusive) bound the dates; at most about ``limit`` entries are
    returned, ending at a day boundary (a day with more than ``limit`` entries is returned whole).
    ``limit=None`` returns everything.
    """
    persons = family_members_seen(viewer=viewer, family=family)
    if not persons:
        return Chronology()
    window = _Window(since=since, before=before, limit=limit)
    entries = sorted(_entries(viewer=viewer, family=family, persons=persons, window=window),
                     key=lambda e: e.sort_key, reverse=True)
    older = None
    cut = window.horizon  # every fact dated after it was read
    complete = [e for e in entries if cut is None or e.on > cut]
    if limit is not None and len(complete) > limit:
        cut = complete[limit].on  # the day of the first entry that does not fit
    if cut is not None:
        kept = [e for e in entries if e.on > cut]
        if kept:
            entries, older = kept, cut + timedelta(days=1)
        else:  # the newest day alone holds more than a page: show that whole day
            whole_day = _Window(since=cut, before=cut + timedelta(days=1), limit=None)
            entries = sorted(_entries(viewer=viewer, family=family, persons=persons, window=whole_day),
                             key=lambda e: e.sort_key, reverse=True)
            older = cut
        if since is not None and older is not None and older <= since:
            older = None
    return Chronology(days=[(day, list(group)) for day, group in groupby(entries, key=lambda e: e.on)], older=older)
