"""Projection: the facts of linked source records become golden records.

``project(person_ids=...)`` rebuilds, for those persons (all when None), in this order:

1. persons and addresses (``persons``): golden fields, aliases, addresses, address spells
   (addresses sent are first resolved to the gazetteer's UPRNs: ``apps.gazetteer``);
2. facts (``facts``): school records, event indicators and the other facts the
   refresh reads (births, NEET statuses, custody spells, exploitation flags);
3. households and families (``households``), which span persons: rebuilt at the end
   from the address spells written, with their lead professionals.

Each module's docstring gives its rules; ``records`` reads the input. Persons are
projected in chunks, so memory holds one chunk's records, not every record. All
writes are bulk and set-based (``bulk``: COPY on PostgreSQL); the caller holds the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection

from apps.gazetteer.services import addresses_resolve
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
from apps.schools.models import AttendanceMonth, Enrolment, Exclusion, SENStatus
from apps.sources.models import Dataset, SourceRecord
from apps.sources.specs import dataset_specs_by_pk

from .facts import PERSON_FACTS, event_indicators, person_facts, schools
from .households import households_rebuild
from .persons import address_history, addresses_ensure, persons_and_aliases
from .records import linked_persons, records_of

CHUNK_PERSONS = 20_000  # persons whose records are held in memory at once


def project(*, person_ids: Iterable[int] | None, chunk_persons: int = CHUNK_PERSONS) -> dict[str, int]:
    """Rebuild the golden records of ``person_ids`` (every linked person when None); returns counts.

    Persons are projected ``chunk_persons`` at a time (their records only are in
    memory); households and families, which span persons, are rebuilt at the end
    from the address histories written.
    """
    scope = None if person_ids is None else sorted(set(person_ids))
    datasets = {d.pk: d for d in Dataset.objects.all()}
    specs = dataset_specs_by_pk()
    kinds = {pk: specs[pk].fact_kind if pk in specs else "" for pk in datasets}
    persons = scope if scope is not None else linked_persons()

    touched: set[int] = set()
    if scope is not None:  # the addresses of the spells cleared: who lived there changes even if no new spell is there
        touched.update(AddressHistory.objects.filter(person_id__in=scope).values_list("address_id", flat=True).distinct())
    _clear(scope)
    counts: Counter[str] = Counter()
    # every address sent gets its UPRN (or is marked unresolved) before persons' addresses are written
    counts.update({f"addresses_{status}": n for status, n in addresses_resolve().items()})
    for start in range(0, len(persons), chunk_persons):
        records = records_of(persons[start:start + chunk_persons])
        by_person: dict[int, list[dict]] = defaultdict(list)
        for rec in records:
            rec["trust"] = datasets[rec["dataset_id"]].trust_rank
            rec["kind"] = kinds[rec["dataset_id"]]
            if rec["kind"] == "event" and (spec := specs.get(rec["dataset_id"])) is not None:
                rec["fact_type"] = spec.indicator_of(rec["fact_type"])  # the descriptor's event type -> indicator
            by_person[rec["person_id"]].append(rec)
        for recs in by_person.values():
            # most trusted first, then most recent
            recs.sort(key=lambda r: (r["trust"], -(r["fact_date"] or dt.date.min).toordinal(), -r["id"]))
        addresses = addresses_ensure(records)
        counts["projected_persons"] += len(by_person)
        counts["aliases"] += persons_and_aliases(by_person, addresses)
        spells, chunk_touched = address_history(by_person, addresses)
        counts["address_spells"] += spells
        touched |= chunk_touched
        counts.update(schools(by_person))
        counts["indicators"] += event_indicators(by_person)
        counts.update(person_facts(by_person))
        del records, by_person
    counts["address_areas"] = address_areas_assign()
    counts.update(households_rebuild(None if scope is None else touched))
    if scope is None:
        _refresh_planner_statistics()
    return dict(counts)


def _refresh_planner_statistics() -> None:
    """After a full projection rewrote the master tables, give PostgreSQL's planner fresh statistics
    (ANALYZE samples; seconds at Bristol scale): without them the first searches plan on stale counts."""
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in (Person, PersonAlias, Address, AddressHistory, Household, Family, FamilyMembership,
                                         Relationship, SourceRecord, PersonIndicator, *PERSON_FACTS)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def _clear(scope: list[int] | None) -> None:
    def of(qs, field="person_id"):
        return qs if scope is None else qs.filter(**{f"{field}__in": scope})

    for model in (PersonAlias, AddressHistory, Enrolment, SENStatus, AttendanceMonth, Exclusion, *PERSON_FACTS):
        of(model.objects.all()).delete()
    of(PersonIndicator.objects.filter(definition__kind=IndicatorDefinition.Kind.EVENT)).delete()
    of(Relationship.objects.all()).delete()
    if scope is not None:
        Relationship.objects.filter(related_person_id__in=scope).delete()
