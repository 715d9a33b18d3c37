"""Facts: what a chunk of persons' records say happened, in the tables the refresh and the risk models read.

* **School**, **Enrolment**, **SENStatus**, **AttendanceMonth**, **Exclusion** from
  school facts (``AttendanceMonth``: one per person, school and month, the most
  trusted row), each naming the source row it came from;
* **PersonIndicator** for events whose ``event_type`` is the code of an event-kind
  ``IndicatorDefinition`` (the source records are linked to it);
* the other facts the refresh and the risk models need, one row per dated source
  row (``person_facts``): **ChildBirth** (``birth-of-child``), **NeetStatus**
  (``neet-status`` and its activity), **CustodySpell** (``custody``: start, expected
  release, establishment) and **ExploitationFlag** (``cse-flag``, ``cce-flag``,
  ``county-lines-link``). Nothing downstream reads a source row's ``fact`` JSON.
"""

from __future__ import annotations

from collections import defaultdict

from apps.common.bulk import bulk_insert
from apps.common.dates import as_date
from apps.indicators.models import IndicatorDefinition, PersonIndicator
from apps.people.models import ChildBirth, CustodySpell, ExploitationFlag, NeetStatus
from apps.schools.models import AttendanceMonth, Enrolment, Exclusion, School, SENStatus
from apps.sources.models import Dataset

from .records import BATCH

BIRTH, NEET_STATUS, CUSTODY = "birth-of-child", "neet-status", "custody"  # fact types
PERSON_FACTS = (ChildBirth, NeetStatus, CustodySpell, ExploitationFlag)


def schools(by_person) -> dict[str, int]:
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
                                     recorded_on=r["fact_date"], dataset_id=r["dataset_id"], source_record_id=r["id"]))
    for pid, r in school_facts:
        fact, school = r["fact"], schools[r["fact"]["school_urn"]]
        if r["kind"] == "enrolment":
            enrolments.append(Enrolment(person_id=pid, school_id=school, upn=r["upn"] or "", date_from=r["fact_date"],
                                        date_to=as_date(fact.get("date_to")), dataset_id=r["dataset_id"],
                                        source_record_id=r["id"]))
        elif r["kind"] == "attendance" and r["fact_date"]:
            # records are most trusted first: the first row for a month wins
            months.setdefault((pid, school, r["fact_date"]), AttendanceMonth(
                person_id=pid, school_id=school, month=r["fact_date"], dataset_id=r["dataset_id"], source_record_id=r["id"],
                sessions_attended=int(fact.get("sessions_attended") or 0), sessions_possible=int(fact.get("sessions_possible") or 0),
            ))
        elif r["kind"] == "exclusion" and r["fact_date"]:
            kind = Exclusion.Kind.PERMANENT if "perm" in str(fact.get("exclusion_type", "")).lower() else Exclusion.Kind.FIXED
            exclusions.append(Exclusion(person_id=pid, school_id=school, kind=kind, start_date=r["fact_date"],
                                        sessions=int(fact.get("sessions") or 0), reason=(fact.get("reason") or "")[:100],
                                        dataset_id=r["dataset_id"], source_record_id=r["id"]))
    bulk_insert(Enrolment, enrolments)
    bulk_insert(AttendanceMonth, list(months.values()))
    bulk_insert(Exclusion, exclusions)
    bulk_insert(SENStatus, sen)
    return {"enrolments": len(enrolments), "attendance_months": len(months), "exclusions": len(exclusions), "sen_statuses": len(sen)}


def event_indicators(by_person) -> int:
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


def person_facts(by_person) -> dict[str, int]:
    """Births, NEET statuses, custody spells and exploitation flags: one row per dated source row of each."""
    made: dict[type, list] = {model: [] for model in PERSON_FACTS}
    for pid, recs in by_person.items():
        for r in recs:
            kind, day = r["fact_type"], r["fact_date"]
            if not day:
                continue
            fact, common = r["fact"] or {}, {"person_id": pid, "dataset_id": r["dataset_id"], "source_record_id": r["id"]}
            if kind == BIRTH:
                made[ChildBirth].append(ChildBirth(born_on=day, **common))
            elif kind == NEET_STATUS:
                made[NeetStatus].append(NeetStatus(recorded_on=day, activity=fact.get("activity") or "", **common))
            elif kind == CUSTODY:
                made[CustodySpell].append(CustodySpell(
                    started_on=day, expected_release=as_date(fact.get("expected_release")),
                    establishment=fact.get("establishment") or "", **common))
            elif kind in ExploitationFlag.Kind.values:
                made[ExploitationFlag].append(ExploitationFlag(kind=kind, flagged_on=day, **common))
    for model, rows in made.items():
        bulk_insert(model, rows)
    return {name: len(made[model]) for name, model in zip(
        ("births", "neet_statuses", "custody_spells", "exploitation_flags"), PERSON_FACTS, strict=True)}
