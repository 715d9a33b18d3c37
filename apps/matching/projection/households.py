"""Households and families: who lived together, from the address spells written; lead professionals.

* **Household**: people at one address over overlapping periods. Each person's
  spells at the address are merged first (sources disagree on move-in dates), then
  stays that overlap, transitively, are one household, from the first move-in to
  the last move-out; members keep their own dates (a birth, a partner leaving).
* **Family**: a household with a dependent child (under 18 at the household's end,
  or today if it is still current). Members are children, parents (adults at
  least 15 years older than the youngest child) and other adults; the lead adult
  is the oldest parent. Relationships: parent/child, partner between parents,
  sibling between children. **Lead professional**: from the early-help extract
  (``ehm-episodes``): every open episode of a member (no ``closed_on``, or one
  after today; for a household that has ended, one that began before it ended),
  most recent first (then the latest record), in ``Family.lead_professionals``;
  ``Family.lead_professional`` is the first of an unrestricted member.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from apps.common.bulk import bulk_insert, bulk_update
from apps.common.dates import age_on, as_date
from apps.people.models import AddressHistory, Family, FamilyMembership, Household, Person, Relationship
from apps.sources.models import Dataset, SourceRecord

from .records import BATCH

EARLY_HELP_DATASET, EARLY_HELP_EPISODE = "ehm-episodes", "early-help-episode"
ADULT_AGE = 18
PARENT_GAP_YEARS = 15


Spell = tuple[dt.date, dt.date]  # (from, to); unknown starts are date.min, open ends date.max


def _merge_spells(spells: list[Spell]) -> list[Spell]:
    """One person's spells at one address, overlapping or touching ones merged.

    Sources disagree on move-in dates (council tax from March, housing benefit from
    May): that is one stay, not two.
    """
    merged: list[list[dt.date]] = []
    for start, end in sorted(spells):
        if merged and (merged[-1][1] == dt.date.max or start <= merged[-1][1] + dt.timedelta(days=1)):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _moved_out(spells) -> list[tuple[int, int, dt.date | None, dt.date | None]]:
    """End each stay when the person's next stay elsewhere starts, if no source said when they left.

    A source that never hears of a move keeps an open spell at the old address
    (a stale record); without this rule the person would live in two households.
    """
    by_person: dict[int, list] = defaultdict(list)
    for person, address, start, end in spells:
        by_person[person].append((start or dt.date.min, address, end))
    result = []
    for person, stays in by_person.items():
        stays.sort(key=lambda stay: stay[0])
        for i, (start, address, end) in enumerate(stays):
            moved = next((s for s, a, _ in stays[i + 1:] if a != address and s > start), None)
            if moved is not None and (end is None or end >= moved):
                end = moved - dt.timedelta(days=1)
            result.append((person, address, None if start == dt.date.min else start, end))
    return result


def _co_residence(spells: list[tuple[int, dt.date | None, dt.date | None]]) -> list[tuple[Spell, dict[int, list[Spell]]]]:
    """Group one address's spells into households: people whose stays there overlap, transitively.

    Returns ``((from, to), {person: [their merged spells]})`` per household, in date
    order. A household lasts from its first move-in to its last move-out; people
    who join or leave during it (a birth, a partner moving out) stay members of it
    for their own spells. Stays that do not overlap anyone's are households of their own.
    """
    by_person: dict[int, list[Spell]] = defaultdict(list)
    for person, start, end in spells:
        by_person[person].append((start or dt.date.min, end or dt.date.max))
    stays = sorted((spell, person) for person, person_spells in by_person.items() for spell in _merge_spells(person_spells))
    households: list[tuple[list[dt.date], dict[int, list[Spell]]]] = []
    for (start, end), person in stays:
        if households and start <= households[-1][0][1]:
            bounds, members = households[-1]
            bounds[1] = max(bounds[1], end)
        else:
            bounds, members = [start, end], {}
            households.append((bounds, members))
        members.setdefault(person, []).append((start, end))
    return [((bounds[0], bounds[1]), members) for bounds, members in households]


def households_rebuild(address_ids: set[int] | None) -> dict[str, int]:
    """Rebuild households and families at ``address_ids`` (all addresses when None)."""
    spells_qs = AddressHistory.objects.all()
    households_qs = Household.objects.all()
    if address_ids is not None:
        spells_qs = spells_qs.filter(address_id__in=address_ids)
        households_qs = households_qs.filter(address_id__in=address_ids)
    people = set(spells_qs.values_list("person_id", flat=True).distinct())
    all_spells = AddressHistory.objects.filter(person_id__in=people) if address_ids is not None else AddressHistory.objects.all()
    by_address: dict[int, list] = defaultdict(list)
    wanted = set(spells_qs.values_list("address_id", flat=True).distinct()) if address_ids is not None else None
    for person_id, address_id, start, end in _moved_out(all_spells.values_list("person_id", "address_id", "date_from", "date_to")):
        if wanted is None or address_id in wanted:
            by_address[address_id].append((person_id, start, end))
    dobs = dict(
        Person.objects.filter(pk__in={p for spells in by_address.values() for p, _, _ in spells}).values_list("pk", "date_of_birth")
    )
    old_families = Family.objects.filter(household__in=households_qs)
    FamilyMembership.objects.filter(family__in=old_families).delete()
    old_refs = set(old_families.values_list("reference", flat=True))
    households_qs.delete()

    today = dt.date.today()
    households, plans = [], []
    for address_id, spells in by_address.items():
        for (start, end), stays in _co_residence(spells):
            household = Household(address_id=address_id, date_from=None if start == dt.date.min else start,
                                  date_to=None if end == dt.date.max else end)
            households.append(household)
            # each member's own stay in the household; a child is under 18 when it ends (or today)
            residents = {p: (min(s for s, _ in ss), max(e for _, e in ss)) for p, ss in stays.items()}
            ages = {p: age_on(dobs.get(p), min(left, today)) for p, (_, left) in residents.items()}
            children = [p for p, a in ages.items() if a is not None and a < ADULT_AGE]
            if children:
                plans.append((household, residents, ages, children))
    Household.objects.bulk_create(households, batch_size=BATCH)
    if households and households[0].pk is None:
        ids = {(h.address_id, h.date_from): h.pk for h in Household.objects.filter(address_id__in=by_address)}
        for h in households:
            h.pk = ids[(h.address_id, h.date_from)]

    families, memberships, relationships = [], [], []
    existing = dict(Family.objects.filter(reference__in=[_reference(h) for h, *_ in plans]).values_list("reference", "pk"))
    episodes = _early_help_episodes(today)
    restricted = set(Person.objects.filter(pk__in={p for _, residents, _, _ in plans for p in residents}, is_restricted=True)
                     .values_list("pk", flat=True)) if plans else set()
    for household, residents, _ages, _children in plans:
        reference = _reference(household)
        family = Family(pk=existing.get(reference), reference=reference, household_id=household.pk, status=Family.Status.OPEN if household.date_to is None else Family.Status.CLOSED)
        family.lead_professionals = _family_episodes(household, residents, episodes)
        family.lead_professional = next((e["name"] for e in family.lead_professionals if e["person"] not in restricted), "")
        families.append(family)
    Family.objects.bulk_create([f for f in families if f.pk is None], batch_size=BATCH)
    bulk_update(Family, [f for f in families if f.pk is not None and f.reference in existing],
                ["household", "status", "lead_professional", "lead_professionals"])
    if families and any(f.pk is None for f in families):
        ids = dict(Family.objects.filter(reference__in=[f.reference for f in families]).values_list("reference", "pk"))
        for f in families:
            f.pk = ids[f.reference]
    for family, (_household, residents, _ages, children) in zip(families, plans, strict=True):
        youngest = min(dobs[c] for c in children)
        parents = sorted(
            (p for p in residents if p not in children and dobs.get(p) and (youngest.year - dobs[p].year) >= PARENT_GAP_YEARS),
            key=lambda p: (dobs[p], p),
        )
        lead = parents[0] if parents else None
        for p in sorted(residents):
            if p in children:
                role, relationship = FamilyMembership.Role.CHILD, "child" if lead else ""
            elif p in parents:
                role, relationship = FamilyMembership.Role.PARENT, "lead adult" if p == lead else "partner"
            else:
                role, relationship = FamilyMembership.Role.OTHER_ADULT, "other adult"
            joined, left = residents[p]
            memberships.append(FamilyMembership(family_id=family.pk, person_id=p, role=role, relationship=relationship,
                                                date_from=None if joined == dt.date.min else joined,
                                                date_to=None if left == dt.date.max else left))
        for parent in parents:
            relationships += [Relationship(person_id=parent, related_person_id=c, kind="parent") for c in children]
            relationships += [Relationship(person_id=c, related_person_id=parent, kind="child") for c in children]
        if len(parents) >= 2:  # the two oldest parents are partners
            a, b = parents[:2]
            relationships += [Relationship(person_id=a, related_person_id=b, kind="partner"),
                              Relationship(person_id=b, related_person_id=a, kind="partner")]
        relationships += [Relationship(person_id=a, related_person_id=b, kind="sibling") for a in children for b in children if a != b]
    bulk_insert(FamilyMembership, memberships)
    bulk_insert(Relationship, relationships, ignore_conflicts=True)
    gone = old_refs - {f.reference for f in families}
    Family.objects.filter(reference__in=gone).update(status=Family.Status.CLOSED)
    return {"households": len(households), "families": len(families), "memberships": len(memberships)}


def _early_help_episodes(today: dt.date) -> dict[int, list[dict]]:
    """Open early-help episodes with a lead professional, by person: {person: [entry]}.

    An entry is ``{name, person, since, section, record}``: the lead professional
    as the extract gives it (name and team), the episode's start, the section
    that may see it (the dataset's) and the source record.
    """
    dataset = Dataset.objects.filter(code=EARLY_HELP_DATASET).select_related("section").first()
    if dataset is None:
        return {}
    by_person: dict[int, list[dict]] = defaultdict(list)
    rows = SourceRecord.objects.filter(
        dataset=dataset, fact_type=EARLY_HELP_EPISODE, person__isnull=False, fact_date__isnull=False
    ).order_by().values_list("id", "person_id", "fact_date", "fact")
    for record, person, since, fact in rows.iterator(chunk_size=BATCH):
        name = ((fact or {}).get("lead_professional") or "").strip()
        closed = as_date((fact or {}).get("closed_on"))
        if name and (closed is None or closed > today) and since <= today:
            by_person[person].append(
                {"name": name[:200], "person": person, "since": since.isoformat(), "section": dataset.section.code,
                 "record": record}
            )
    return by_person


def _family_episodes(household: Household, residents: dict, episodes: dict[int, list[dict]]) -> list[dict]:
    """The open episodes of a family's members, most recent first (then the latest record): deterministic."""
    ended = household.date_to.isoformat() if household.date_to else None
    found = [e for p in residents for e in episodes.get(p, ()) if ended is None or e["since"] <= ended]
    return sorted(found, key=lambda e: (e["since"], e["record"]), reverse=True)


def _reference(household: Household) -> str:
    """A family's reference, fixed by its address and start date so re-runs keep it."""
    start = household.date_from.strftime("%Y%m%d") if household.date_from else "0"
    return f"F{household.address_id}-{start}"
