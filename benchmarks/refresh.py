"""Refresh speed on PostgreSQL: a full refresh at Bristol scale, and an incremental refresh of one family.

    createdb -h 127.0.0.1 -U postgres tf_refresh_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tf_refresh_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tf_refresh_bench .venv/bin/python benchmarks/refresh.py --scale bristol

When the database holds no families the script seeds the master tables
directly (bulk, deterministic): ``--scale bristol`` is 170,000 people in
54,000 families, with a school year of attendance for every pupil, exclusions,
PRU placements, projected event indicators in every category and the projected
facts the derived indicators and risk factors read (NEET tracking with a
historical cohort, births, custody, exploitation flags), each with the source
row it came from (the indicators' supporting records). It does not run the
generator, importer and matcher (``manage.py synth``, ``import_all``, ``match``);
on a database they have filled it refreshes what is there.

Prints the seconds of ``--repeat`` full refreshes and incremental refreshes of
eligible families (median and worst), and what the last full refresh found.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django

django.setup()

from django.db import connection, transaction
from django.utils import timezone

from apps.indicators.models import FamilyCriteria, IndicatorDefinition, PersonIndicator
from apps.indicators.services import indicators_refresh
from apps.people.models import (
    Address,
    ChildBirth,
    CustodySpell,
    ExploitationFlag,
    Family,
    FamilyMembership,
    Household,
    NeetStatus,
    Person,
)
from apps.schools.models import AttendanceMonth, Enrolment, Exclusion, School
from apps.sources.models import Dataset, ImportBatch, SourceRecord

SCALES = {"small": (2_000, 635), "bristol": (170_000, 54_000)}
AS_OF = date(2025, 7, 31)  # the synthetic generator's extract date
BATCH = 5000
EVENT_RATES = {  # share of adults / of children with one projected event indicator of the code
    "person-committed-asb": (0.03, 0.02), "person-committed-offence": (0.04, 0.02), "victim-of-dva": (0.03, 0.0),
    "perpetrator-of-dva": (0.02, 0.0), "involved-in-domestic-incident": (0.0, 0.03), "out-of-work-benefits": (0.10, 0.0),
    "person-in-rent-arrears": (0.03, 0.0), "child-free-school-meals": (0.0, 0.15), "mental-health-concern": (0.04, 0.02),
    "drugs-and-alcohol-incident": (0.02, 0.005), "person-reported-missing": (0.003, 0.01), "child-in-need": (0.0, 0.03),
    "child-protection-plan": (0.0, 0.01), "child-looked-after": (0.0, 0.005),
    "open-to-families-in-focus-or-social-care": (0.02, 0.03),
}


def seed(people: int, families: int, rng: random.Random) -> None:
    print(f"seeding {people:,} people in {families:,} families (bulk)...", flush=True)
    started = time.monotonic()
    datasets = {d.code: d for d in Dataset.objects.all()}
    batches = {
        code: ImportBatch.objects.create(dataset=datasets[code], filename=f"{code}.csv", checksum=f"bench-{code}",
                                         status=ImportBatch.Status.LOADED, finished_at=timezone.now(), is_current=True)
        for code in ("dfe-attendance", "dfe-exclusions", "bcc-neet-tracking", "bcc-maternity-births",
                     "asc-custody-releases", "asc-exploitation-flags")
    }
    schools = School.objects.bulk_create(
        [School(urn=f"B{i:05d}", name=f"Bench School {i}") for i in range(120)]
        + [School(urn=f"B9{i:04d}", name=f"Bench Learning Centre {i}", is_pupil_referral_unit=True) for i in range(3)]
    )
    mainstream, prus = schools[:120], schools[120:]
    addresses = Address.objects.bulk_create(
        [Address(address_key=f"BENCH|{i}", building_number=str(i % 200 + 1), street=f"Bench Street {i // 200}",
                 postcode=f"BS{i % 16 + 1} {i % 9}AB") for i in range(families)], batch_size=BATCH)
    households = Household.objects.bulk_create(
        [Household(address=a, date_from=date(2015, 1, 1)) for a in addresses], batch_size=BATCH)
    family_rows = Family.objects.bulk_create(
        [Family(reference=f"FB{i:06d}", household=h) for i, h in enumerate(households)], batch_size=BATCH)

    persons, plan = [], []  # plan: (family index, role, age)
    per_family = max(1, people // families)
    for f in range(families):
        size = per_family + (1 if f < people - per_family * families else 0)
        ages = [rng.randint(25, 55)] + [rng.randint(25, 55) if rng.random() < 0.6 else rng.randint(0, 19)
                                        for _ in range(size - 1)]
        ages = sorted(ages, reverse=True)
        for n, age in enumerate(ages):
            role = "parent" if n == 0 or age >= 22 else "child"
            plan.append((f, role, age))
            dob = AS_OF - timedelta(days=int(age * 365.25) + rng.randrange(365))
            persons.append(Person(forename=f"Bench{len(persons)}", surname="Person", date_of_birth=dob))
    Person.objects.bulk_create(persons, batch_size=BATCH)
    FamilyMembership.objects.bulk_create(
        [FamilyMembership(family=family_rows[f], person=p, role=role, date_from=date(2015, 1, 1))
         for p, (f, role, _) in zip(persons, plan, strict=True)], batch_size=BATCH)
    print(f"  people, families, memberships: {time.monotonic() - started:.1f}s", flush=True)

    months, exclusions, enrolments, records, indicators = [], [], [], [], []
    facts: dict[type, list] = {ChildBirth: [], NeetStatus: [], CustodySpell: [], ExploitationFlag: []}
    codes = {d.code: d for d in IndicatorDefinition.objects.filter(code__in=EVENT_RATES)}
    year = [date(2024, m, 1) for m in (9, 10, 11, 12)] + [date(2025, m, 1) for m in range(1, 8)]

    def record(p, code, fact_type, day, **fact) -> SourceRecord:
        records.append(SourceRecord(dataset=batches[code].dataset, batch=batches[code], source_key=f"B{len(records)}",
                                    row_number=len(records), surname="PERSON", person=p, fact_type=fact_type,
                                    fact_date=day, fact=fact))
        return records[-1]

    def projected(model, p, code, fact_type, day, fact=None, **fields) -> None:
        """A source row and the fact the projection makes of it."""
        row = record(p, code, fact_type, day, **(fact or {}))
        facts[model].append(model(person=p, dataset=row.dataset, source_record=row, **fields))

    for p, (_, role, age) in zip(persons, plan, strict=True):
        child = role == "child"
        for code, (adult_rate, child_rate) in EVENT_RATES.items():
            if rng.random() < (child_rate if child else adult_rate):
                indicators.append(PersonIndicator(person=p, definition=codes[code], dataset=None,
                                                  indicator_date=AS_OF - timedelta(days=rng.randrange(1000))))
        if child and 5 <= age <= 15:
            school = rng.choice(mainstream)
            rate = min(1.0, max(0.3, rng.gauss(0.94, 0.06)))
            for month in year:
                possible = 38
                months.append(AttendanceMonth(person=p, school=school, month=month, sessions_possible=possible,
                                              sessions_attended=round(possible * rate), dataset=batches["dfe-attendance"].dataset,
                                              source_record=record(p, "dfe-attendance", "attendance", month, school_urn=school.urn)))
            for _ in range(rng.choices((0, 1, 3), (90, 8, 2))[0]):
                day = date(2024, 9, 1) + timedelta(days=rng.randrange(300))
                exclusions.append(Exclusion(person=p, school=school, kind="fixed", start_date=day,
                                            dataset=batches["dfe-exclusions"].dataset,
                                            source_record=record(p, "dfe-exclusions", "exclusion", day, exclusion_type="FIXED")))
            if rng.random() < 0.002:
                day = date(2024, 9, 1) + timedelta(days=rng.randrange(200))
                exclusions.append(Exclusion(person=p, school=school, kind="permanent", start_date=day,
                                            dataset=batches["dfe-exclusions"].dataset,
                                            source_record=record(p, "dfe-exclusions", "exclusion", day, exclusion_type="PERMANENT")))
                enrolments.append(Enrolment(person=p, school=rng.choice(prus), upn="", date_from=day + timedelta(days=10),
                                            dataset=datasets["dfe-pru-placements"]))
            if age >= 11 and rng.random() < 0.01:
                kind, day = rng.choice(("cse-flag", "cce-flag")), AS_OF - timedelta(days=rng.randrange(700))
                projected(ExploitationFlag, p, "asc-exploitation-flags", kind, day, kind=kind, flagged_on=day)
        if 16 <= age <= 20:  # NEET tracking: the current 16-18s and the historical cohort
            day = date(2024, 12, 10) + timedelta(days=rng.randrange(60))
            activity = "NEET" if rng.random() < 0.1 else "EET"
            projected(NeetStatus, p, "bcc-neet-tracking", "neet-status", day, {"activity": activity},
                      recorded_on=day, activity=activity)
        if not child and age < 24 and rng.random() < 0.05:
            day = p.date_of_birth + timedelta(days=365 * 18 + rng.randrange(700))
            projected(ChildBirth, p, "bcc-maternity-births", "birth-of-child", day, born_on=day)
        if not child and rng.random() < 0.005:
            release = AS_OF + timedelta(days=rng.randrange(-200, 800))
            day = AS_OF - timedelta(days=rng.randrange(100, 900))
            projected(CustodySpell, p, "asc-custody-releases", "custody", day,
                      {"expected_release": release.isoformat(), "establishment": "HMP Bristol"},
                      started_on=day, expected_release=release, establishment="HMP Bristol")
    for model, rows in ((SourceRecord, records), (AttendanceMonth, months), (Exclusion, exclusions),
                        (Enrolment, enrolments), (PersonIndicator, indicators), *facts.items()):
        model.objects.bulk_create(rows, batch_size=BATCH)
        print(f"  {model.__name__}: {len(rows):,}", flush=True)
    print(f"seeded in {time.monotonic() - started:.1f}s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=SCALES, default="bristol")
    parser.add_argument("--repeat", type=int, default=3, help="full refreshes to time")
    parser.add_argument("--families", type=int, default=10, help="incremental family refreshes to time")
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print(f"warning: running on {connection.vendor}; the figures asked for are PostgreSQL's (set DATABASE_URL)")
    if not Family.objects.exists():
        with transaction.atomic():
            seed(*SCALES[args.scale], random.Random(20250731))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
    print(f"database: {Person.objects.count():,} people, {Family.objects.count():,} families, "
          f"{PersonIndicator.objects.count():,} indicators, {SourceRecord.objects.count():,} source records")

    full = []
    for i in range(args.repeat):
        started = time.monotonic()
        run = indicators_refresh(as_of=args.as_of)
        full.append(time.monotonic() - started)
        print(f"full refresh {i + 1}: {full[-1]:.2f}s (added {sum(run.added.values()):,}, "
              f"removed {sum(run.removed.values()):,}, newly eligible {len(run.newly_eligible):,})", flush=True)
    print(f"  found: {run.counts['derived']} | risk {run.counts['risk']} | families {run.counts['families']:,}, "
          f"eligible {run.counts['eligible']:,}")
    references = list(FamilyCriteria.objects.filter(is_eligible=True).order_by("family_id")
                      .values_list("family__reference", flat=True)[: args.families])
    single = []
    for reference in references:
        started = time.monotonic()
        indicators_refresh(family_reference=reference, as_of=args.as_of)
        single.append(time.monotonic() - started)
    print(f"FULL refresh ({args.scale}, {connection.vendor}): median {statistics.median(full):.2f}s, "
          f"worst {max(full):.2f}s over {len(full)}")
    if single:
        print(f"ONE-FAMILY refresh: median {statistics.median(single):.3f}s, worst {max(single):.3f}s "
              f"over {len(single)} eligible families")


if __name__ == "__main__":
    main()
