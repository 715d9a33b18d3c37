"""Projection: the facts of linked source records become golden records.

``project(person_ids=...)`` rebuilds, for those persons (all when None):

* **Person fields**, each chosen by one rule: among the person's records that
  carry a value, take the one from the *most trusted* dataset (lowest
  ``Dataset.trust_rank``), then the *most recent* (latest ``fact_date``, then
  latest record). Sex "U" counts as no value. Search keys are set from the chosen
  names (``names.search_key``, Metaphone via ``names.phonetic``).
* **PersonAlias**: every other name / date of birth a dataset knows the person by.
* **Address** (one per address key, shared) and **AddressHistory** (one spell per
  residence record); the current address is the latest spell's, else the most
  trusted record's address.
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
* **School**, **Enrolment**, **SENStatus**, **AttendanceMonth**, **Exclusion** from
  school facts, and **PersonIndicator** for events whose ``event_type`` is the code
  of an event-kind ``IndicatorDefinition`` (the source records are linked to it).

Persons are projected in chunks, so memory holds one chunk's records, not every record.
All writes are bulk and set-based (``bulk``: COPY on PostgreSQL); the caller holds the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models.fields.json import KT

from apps.common.names import phonetic, search_key
from apps.indicators.models import IndicatorDefinition, PersonIndicator
from apps.people.models import (
    Address,
    AddressHistory,
    Family,
    FamilyMembership,
    Household,
    Person,
    PersonAlias,
    Relationship,
)
from apps.people.services import address_areas_assign
from apps.schools.models import AttendanceMonth, Enrolment, Exclusion, School, SENStatus
from apps.sources.catalogue import DATASETS_BY_CODE
from apps.sources.models import Dataset, SourceRecord
from apps.sources.normalise import address_parse

from .bulk import bulk_insert, bulk_update

BATCH = 2000
EARLY_HELP_DATASET, EARLY_HELP_EPISODE = "ehm-episodes", "early-help-episode"
CHUNK_PERSONS = 20_000  # persons whose records are held in memory at once
ADULT_AGE = 18
PARENT_GAP_YEARS = 15
GOLDEN_FIELDS = ("forename", "surname", "date_of_birth", "sex", "nhs_number", "upn", "ni_number")
RECORD_FIELDS = (
    "id", "person_id", "dataset_id", "forename", "surname", "date_of_birth", "sex", "postcode", "address_key",
    "uprn", "nhs_number", "upn", "ni_number", "fact_type", "fact_date", "fact", "address_line", "middle_names",
)


def _records(person_ids: list[int]) -> list[dict]:
    """The current, linked records of ``person_ids`` (a chunk: its ids are read as a range)."""
    qs = SourceRecord.objects.filter(batch__is_current=True, person_id__gte=person_ids[0], person_id__lte=person_ids[-1])
    if len(person_ids) < person_ids[-1] - person_ids[0] + 1:  # the range holds persons outside the chunk
        qs = qs.filter(person_id__in=person_ids)
    qs = qs.annotate(address_line=KT("raw__address"), middle_names=KT("raw__middle_names")).order_by()
    return list(qs.values(*RECORD_FIELDS).iterator(chunk_size=BATCH))


def _linked_persons() -> list[int]:
    return sorted(
        SourceRecord.objects.filter(batch__is_current=True, person__isnull=False)
        .order_by().values_list("person_id", flat=True).distinct()
    )


def _date(value) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _age_on(dob: dt.date | None, day: dt.date) -> int | None:
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def project(*, person_ids: Iterable[int] | None, chunk_persons: int = CHUNK_PERSONS) -> dict[str, int]:
    """Rebuild the golden records of ``person_ids`` (every linked person when None); returns counts.

    Persons are projected ``chunk_persons`` at a time (their records only are in
    memory); households and families, which span persons, are rebuilt at the end
    from the address histories written.
    """
    scope = None if person_ids is None else sorted(set(person_ids))
    datasets = {d.pk: d for d in Dataset.objects.all()}
    kinds = {pk: DATASETS_BY_CODE[d.code].fact_kind if d.code in DATASETS_BY_CODE else "" for pk, d in datasets.items()}
    persons = scope if scope is not None else _linked_persons()

    _clear(scope)
    counts: Counter[str] = Counter()
    touched: set[int] = set()
    for start in range(0, len(persons), chunk_persons):
        records = _records(persons[start:start + chunk_persons])
        by_person: dict[int, list[dict]] = defaultdict(list)
        for rec in records:
            rec["trust"] = datasets[rec["dataset_id"]].trust_rank
            rec["kind"] = kinds[rec["dataset_id"]]
            by_person[rec["person_id"]].append(rec)
        for recs in by_person.values():
            # most trusted first, then most recent
            recs.sort(key=lambda r: (r["trust"], -(r["fact_date"] or dt.date.min).toordinal(), -r["id"]))
        addresses = _addresses(records)
        counts["projected_persons"] += len(by_person)
        counts["aliases"] += _persons_and_aliases(by_person, addresses)
        spells, chunk_touched = _address_history(by_person, addresses)
        counts["address_spells"] += spells
        touched |= chunk_touched
        counts.update(_schools(by_person))
        counts["indicators"] += _indicators(by_person)
        del records, by_person
    counts["address_areas"] = address_areas_assign()
    counts.update(_households(None if scope is None else touched))
    if scope is None:
        _refresh_planner_statistics()
    return dict(counts)


def _refresh_planner_statistics() -> None:
    """After a full projection rewrote the master tables, give PostgreSQL's planner fresh statistics
    (ANALYZE samples; seconds at Bristol scale): without them the first searches plan on stale counts."""
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (Person, PersonAlias, Address, AddressHistory, Household, Family, FamilyMembership,
                                         Relationship, SourceRecord, PersonIndicator)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def _clear(scope: list[int] | None) -> None:
    def of(qs, field="person_id"):
        return qs if scope is None else qs.filter(**{f"{field}__in": scope})

    for model in (PersonAlias, AddressHistory, Enrolment, SENStatus, AttendanceMonth, Exclusion):
        of(model.objects.all()).delete()
    of(PersonIndicator.objects.filter(definition__kind=IndicatorDefinition.Kind.EVENT)).delete()
    of(Relationship.objects.all()).delete()
    if scope is not None:
        Relationship.objects.filter(related_person_id__in=scope).delete()


def _addresses(records: list[dict]) -> dict[str, int]:
    """Ensure an Address per address key; returns {address key: address id}."""
    wanted: dict[str, dict] = {}
    for rec in records:
        key = rec["address_key"]
        if key and (key not in wanted or (rec["uprn"] and not wanted[key]["uprn"])):
            wanted[key] = rec
    existing = dict(Address.objects.filter(address_key__in=list(wanted)).values_list("address_key", "pk"))
    new = []
    for key, rec in wanted.items():
        if key in existing:
            continue
        parts = address_parse(rec["address_line"] or "")
        new.append(
            Address(
                address_key=key,
                sub_building=parts.sub_building[:100],
                building_name=parts.building_name[:100],
                building_number=parts.building_number[:20],
                street=(parts.street or rec["address_line"] or "")[:150],
                locality=parts.locality[:100],
                town=(parts.town or "Bristol")[:100].title(),
                postcode=rec["postcode"] or "",
                uprn=rec["uprn"] or "",
            )
        )
    bulk_insert(Address, new, ignore_conflicts=True)
    if new:
        existing.update(Address.objects.filter(address_key__in=[a.address_key for a in new]).values_list("address_key", "pk"))
    return existing


def _persons_and_aliases(by_person: dict[int, list[dict]], addresses: dict[str, int]) -> int:
    updates, aliases = [], []
    for person_id, recs in by_person.items():
        chosen = {}
        for field in GOLDEN_FIELDS:
            chosen[field] = next((r[field] for r in recs if r[field] and r[field] != "U"), None)
        middle = next((r["middle_names"] for r in recs if r["middle_names"]), "")
        residences = sorted(
            (r for r in recs if r["kind"] == "residence" and r["address_key"]),
            key=lambda r: (r["fact_date"] or dt.date.min, -r["trust"]),
        )
        current = residences[-1] if residences else next((r for r in recs if r["address_key"]), None)
        forename, surname = chosen["forename"] or "", chosen["surname"] or ""
        updates.append(
            Person(
                pk=person_id,
                forename=forename.title(),
                middle_names=(middle or "").title()[:200],
                surname=surname.title(),
                date_of_birth=chosen["date_of_birth"],
                sex=chosen["sex"] or Person.Sex.UNKNOWN,
                nhs_number=chosen["nhs_number"] or "",
                upn=chosen["upn"] or "",
                ni_number=chosen["ni_number"] or "",
                search_forename=search_key(forename)[:100],
                search_surname=search_key(surname)[:100],
                forename_phonetic=phonetic(forename),
                surname_phonetic=phonetic(surname),
                current_address_id=addresses.get(current["address_key"]) if current else None,
            )
        )
        seen = {(forename, surname, chosen["date_of_birth"])}
        for r in recs:
            key = (r["forename"] or "", r["surname"] or "", r["date_of_birth"])
            if key in seen or not (key[0] or key[1]):
                continue
            seen.add(key)
            aliases.append(
                PersonAlias(person_id=person_id, forename=key[0].title(), surname=key[1].title(),
                            date_of_birth=key[2], dataset_id=r["dataset_id"])
            )
    bulk_update(
        Person,
        updates,
        ["forename", "middle_names", "surname", "date_of_birth", "sex", "nhs_number", "upn", "ni_number",
         "search_forename", "search_surname", "forename_phonetic", "surname_phonetic", "current_address"],
    )
    bulk_insert(PersonAlias, aliases)
    return len(aliases)


def _address_history(by_person, addresses) -> tuple[int, set[int]]:
    spells = []
    for person_id, recs in by_person.items():
        for r in recs:
            if r["kind"] == "residence" and r["address_key"] in addresses:
                spells.append(
                    AddressHistory(
                        person_id=person_id, address_id=addresses[r["address_key"]], date_from=r["fact_date"],
                        date_to=_date((r["fact"] or {}).get("date_to")), dataset_id=r["dataset_id"], source_record_id=r["id"],
                    )
                )
    bulk_insert(AddressHistory, spells)
    return len(spells), {s.address_id for s in spells}


def _schools(by_person) -> dict[str, int]:
    school_facts = [
        (pid, r) for pid, recs in by_person.items() for r in recs
        if r["kind"] in ("enrolment", "attendance", "exclusion") and (r["fact"] or {}).get("school_urn")
    ]
    pru_datasets = set(Dataset.objects.filter(code="dfe-pru-placements").values_list("pk", flat=True))
    names = {}
    for _, r in school_facts:
        names.setdefault(r["fact"]["school_urn"], (r["fact"].get("school_name") or r["fact"]["school_urn"], r["dataset_id"] in pru_datasets))
    School.objects.bulk_create(
        [School(urn=urn, name=name[:200], is_pupil_referral_unit=pru) for urn, (name, pru) in names.items()],
        batch_size=BATCH, ignore_conflicts=True,
    )
    schools = dict(School.objects.filter(urn__in=list(names)).values_list("urn", "pk"))
    enrolments, months, exclusions, sen = [], {}, [], []
    for pid, recs in by_person.items():
        for r in recs:
            fact = r["fact"] or {}
            if r["kind"] == "sen" and fact.get("sen_status") and r["fact_date"]:
                sen.append(SENStatus(person_id=pid, status=fact["sen_status"], sen_type=(fact.get("sen_type") or "")[:10],
                                     recorded_on=r["fact_date"], dataset_id=r["dataset_id"]))
    for pid, r in school_facts:
        fact, school = r["fact"], schools[r["fact"]["school_urn"]]
        if r["kind"] == "enrolment":
            enrolments.append(Enrolment(person_id=pid, school_id=school, upn=r["upn"] or "", date_from=r["fact_date"],
                                        date_to=_date(fact.get("date_to")), dataset_id=r["dataset_id"]))
        elif r["kind"] == "attendance" and r["fact_date"]:
            # records are most trusted first: the first row for a month wins
            months.setdefault((pid, school, r["fact_date"]), AttendanceMonth(
                person_id=pid, school_id=school, month=r["fact_date"], dataset_id=r["dataset_id"],
                sessions_attended=int(fact.get("sessions_attended") or 0), sessions_possible=int(fact.get("sessions_possible") or 0),
            ))
        elif r["kind"] == "exclusion" and r["fact_date"]:
            kind = Exclusion.Kind.PERMANENT if "perm" in str(fact.get("exclusion_type", "")).lower() else Exclusion.Kind.FIXED
            exclusions.append(Exclusion(person_id=pid, school_id=school, kind=kind, start_date=r["fact_date"],
                                        sessions=int(fact.get("sessions") or 0), reason=(fact.get("reason") or "")[:100],
                                        dataset_id=r["dataset_id"]))
    bulk_insert(Enrolment, enrolments)
    bulk_insert(AttendanceMonth, list(months.values()))
    bulk_insert(Exclusion, exclusions)
    bulk_insert(SENStatus, sen)
    return {"enrolments": len(enrolments), "attendance_months": len(months), "exclusions": len(exclusions), "sen_statuses": len(sen)}


def _indicators(by_person) -> int:
    definitions = dict(IndicatorDefinition.objects.filter(kind=IndicatorDefinition.Kind.EVENT).values_list("code", "pk"))
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for pid, recs in by_person.items():
        for r in recs:
            if r["kind"] in ("event", "custody") and r["fact_type"] in definitions and r["fact_date"]:
                grouped[(pid, definitions[r["fact_type"]], r["fact_date"])].append(r)
    indicators = []
    for (pid, definition, day), recs in grouped.items():
        notes = "; ".join(sorted({(r["fact"] or {}).get("reference") or "" for r in recs} - {""}))
        indicators.append(PersonIndicator(person_id=pid, definition_id=definition, indicator_date=day,
                                          notes=notes, dataset_id=recs[0]["dataset_id"]))
    created = PersonIndicator.objects.bulk_create(indicators, batch_size=BATCH)
    if created and created[0].pk is None:  # backends that cannot return ids: read them back
        ids = dict(
            ((p, d, day), pk) for pk, p, d, day in PersonIndicator.objects.filter(
                person_id__in={k[0] for k in grouped}).values_list("pk", "person_id", "definition_id", "indicator_date")
        )
        for obj in created:
            obj.pk = ids[(obj.person_id, obj.definition_id, obj.indicator_date)]
    through = PersonIndicator.source_records.through
    links = [
        through(personindicator_id=obj.pk, sourcerecord_id=r["id"])
        for obj, recs in zip(created, grouped.values(), strict=True) for r in recs
    ]
    bulk_insert(through, links)
    return len(indicators)


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


def _households(address_ids: set[int] | None) -> dict[str, int]:
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
            ages = {p: _age_on(dobs.get(p), min(left, today)) for p, (_, left) in residents.items()}
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
    for household, residents, ages, children in plans:
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
    for family, (household, residents, ages, children) in zip(families, plans, strict=True):
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
        batch__is_current=True, dataset=dataset, fact_type=EARLY_HELP_EPISODE, person__isnull=False, fact_date__isnull=False
    ).order_by().values_list("id", "person_id", "fact_date", "fact")
    for record, person, since, fact in rows.iterator(chunk_size=BATCH):
        name = ((fact or {}).get("lead_professional") or "").strip()
        closed = _date((fact or {}).get("closed_on"))
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
