"""The nightly outcome check at Bristol scale: 5,000 closed cases due for the sustained decision (and 1,000 open
plans), each with four needs over four members who have a year of attendance and dated police, DA, missing and
benefit indicators. Times ``outcomes_check`` alone (what it adds to a full refresh).

    createdb -h 127.0.0.1 -U postgres tf_outcomes_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tf_outcomes_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tf_outcomes_bench .venv/bin/python benchmarks/outcomes.py

Seeds its own rows (families F8xxxxx) the first time (kept, unless ``--no-keep``); the check runs in a transaction
rolled back afterwards, so it can be repeated. ``benchmarks/casework.py`` runs it too (``--outcomes-closed``).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django

django.setup()

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.casework.models import Case, CaseNeed
from apps.casework.outcomes import outcomes_check
from apps.indicators.models import Framework, FrameworkHeadline, FrameworkNeed, IndicatorDefinition, PersonIndicator
from apps.people.models import Family, FamilyMembership, Person
from apps.schools.models import AttendanceMonth, School
from apps.sources.models import Dataset

AS_OF = date(2026, 1, 31)
NEEDS = (("attendance", {"threshold_percent": 90, "terms": 3}), ("no-offence", {"months": 6}),
         ("no-da-incident", {"months": 6}), ("off-out-of-work-benefits", {"months": 6}))
CODES = ("person-committed-offence", "victim-of-dva", "out-of-work-benefits", "person-reported-missing",
         "mental-health-concern")


def seed(closed: int, open_: int) -> None:
    rng = random.Random(7)
    user = get_user_model().objects.get_or_create(username="outcomes_bench")[0]
    fw = Framework.objects.get_or_create(code="outcomes-bench", defaults={
        "name": "Outcomes benchmark", "count_of": "needs", "eligible_min": 3})[0]
    headline = FrameworkHeadline.objects.get_or_create(framework=fw, code="all", defaults={"name": "All"})[0]
    needs = [FrameworkNeed.objects.get_or_create(headline=headline, code=slug, defaults={
        "name": slug, "outcome_measure": slug, "outcome_params": params, "outcome_text": slug})[0]
        for slug, params in NEEDS]
    school = School.objects.get_or_create(urn="880001", defaults={"name": "Bench School"})[0]
    attendance_ds = Dataset.objects.get(code="dfe-attendance")
    definitions = dict(IndicatorDefinition.objects.filter(code__in=CODES).values_list("code", "pk"))
    police = Dataset.objects.get(code="asc-offenders")
    total = closed + open_
    families = Family.objects.bulk_create([Family(reference=f"F8{n:05d}") for n in range(total)], batch_size=5000)
    persons = Person.objects.bulk_create(
        [Person(forename="Bench", surname=f"P{n}", date_of_birth=date(1985 if n % 4 < 2 else 2012, 1, 1))
         for n in range(total * 4)], batch_size=5000)
    FamilyMembership.objects.bulk_create(
        [FamilyMembership(family=families[n // 4], person=p, role="parent" if n % 4 < 2 else "child")
         for n, p in enumerate(persons)], batch_size=5000)
    months = [date(2024, m, 1) for m in (9, 10, 11, 12)] + [date(2025, m, 1) for m in range(1, 13)]
    AttendanceMonth.objects.bulk_create(
        [AttendanceMonth(person=p, school=school, month=m, sessions_attended=rng.randint(30, 40), sessions_possible=40,
                         dataset=attendance_ds) for n, p in enumerate(persons) if n % 4 >= 2 for m in months],
        batch_size=5000)
    PersonIndicator.objects.bulk_create(
        [PersonIndicator(person=p, definition_id=definitions[rng.choice(CODES)], dataset=police,
                         indicator_date=date(2024, 1, 1) + timedelta(days=rng.randint(0, 760)))
         for p in persons for _ in range(6)], batch_size=5000)
    now = timezone.now()
    cases = Case.objects.bulk_create([
        Case(reference=f"C8{n:05d}", family=f, framework=fw, opened_on=date(2024, 9, 1), lead_practitioner=user,
             state=Case.State.CLOSED if n < closed else Case.State.PLAN_AGREED,
             closed_on=date(2025, 3, 1) + timedelta(days=n % 150) if n < closed else None)
        for n, f in enumerate(families)], batch_size=5000)
    case_needs = CaseNeed.objects.bulk_create(
        [CaseNeed(case=c, need=need, evidence_source="practitioner", confirmed_by=user, confirmed_at=now,
                  outcome_measure=need.outcome_measure, outcome_params=need.outcome_params, outcome_text=need.outcome_text)
         for c in cases for need in needs], batch_size=5000)
    through = CaseNeed.persons.through
    through.objects.bulk_create(
        [through(caseneed_id=cn.pk, person_id=persons[i * 4 + k].pk)
         for i, c in enumerate(cases) for j, cn in enumerate(case_needs[i * 4:i * 4 + 4])
         for k in ((2, 3) if j == 0 else (0, 1, 2, 3))], batch_size=5000)


def run(*, closed: int, open_: int, keep: bool = True) -> float:
    """Seed (unless seeded) and time ``outcomes_check``; with ``keep=False`` the seed is rolled back too."""
    with transaction.atomic():
        if not Family.objects.filter(reference__startswith="F8").exists():
            started = time.monotonic()
            with transaction.atomic():
                seed(closed, open_)
            print(f"seeded {closed} closed and {open_} open cases in {time.monotonic() - started:.1f} s")
        with transaction.atomic():
            started = time.monotonic()
            counts = outcomes_check(as_of=AS_OF, progress=lambda stage, **figures: print(stage, figures))
            seconds = time.monotonic() - started
            print(f"outcomes_check: {seconds:.1f} s, {counts} (load average {os.getloadavg()[0]:.1f})")
            transaction.set_rollback(True)
        if not keep:
            transaction.set_rollback(True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--closed", type=int, default=5000)
    parser.add_argument("--open", type=int, default=1000)
    parser.add_argument("--no-keep", action="store_true", help="roll the seeded rows back afterwards")
    args = parser.parse_args()
    run(closed=args.closed, open_=args.open, keep=not args.no_keep)


if __name__ == "__main__":
    main()
