"""Builders for the indicator tests: the projected facts the refresh reads (each with the source row it came
from, the indicator's supporting record), families."""

from __future__ import annotations

from datetime import date

import pytest

from apps.people.models import (
    ChildBirth,
    CustodySpell,
    ExploitationFlag,
    Family,
    FamilyMembership,
    Household,
    NeetStatus,
)
from apps.schools.models import AttendanceMonth, Enrolment, Exclusion, School
from apps.sources.models import Dataset
from tests import factories


class Build:
    """Small master-data builder; every helper returns what it made."""

    def __init__(self):
        self.school = School.objects.create(urn="100001", name="Hillfields Academy")
        self.pru = School.objects.create(urn="100002", name="Lawrence Hill Learning Centre", is_pupil_referral_unit=True)
        self.attendance = Dataset.objects.get(code="dfe-attendance")
        self.exclusions = Dataset.objects.get(code="dfe-exclusions")
        self.census = Dataset.objects.get(code="dfe-school-census")
        self._families = 0

    def person(self, forename="Jack", dob=date(2011, 3, 12), **kw):
        return factories.person(forename=forename, dob=dob, **kw)

    def month(self, p, month: date, attended: int, possible: int, school=None):
        record = factories.source_record(p, "dfe-attendance")
        record.fact_type, record.fact_date = "attendance", month
        record.fact = {"school_urn": (school or self.school).urn, "sessions_attended": attended, "sessions_possible": possible}
        record.save()
        return AttendanceMonth.objects.create(person=p, school=school or self.school, month=month, source_record=record,
                                              sessions_attended=attended, sessions_possible=possible, dataset=self.attendance)

    def year_of_attendance(self, p, attended: int, possible: int = 1000, year: int = 2024):
        """Spread ``attended`` of ``possible`` sessions over September to December of ``year``."""
        months = [date(year, m, 1) for m in (9, 10, 11, 12)]
        per_possible, per_attended = possible // 4, attended // 4
        for i, m in enumerate(months):
            last = i == len(months) - 1
            self.month(p, m, attended - 3 * per_attended if last else per_attended,
                       possible - 3 * per_possible if last else per_possible)

    def exclusion(self, p, day: date, kind="fixed"):
        record = factories.source_record(p, "dfe-exclusions")
        record.fact_type, record.fact_date = "exclusion", day
        record.fact = {"school_urn": self.school.urn, "exclusion_type": kind.upper(), "sessions": 2}
        record.save()
        return Exclusion.objects.create(person=p, school=self.school, kind=kind, start_date=day, sessions=2,
                                        dataset=self.exclusions, source_record=record)

    def _event(self, p, dataset_code: str, fact_type: str, day: date, **fact) -> dict:
        """A source row of an event; returns the fields its projected fact shares."""
        record = factories.source_record(p, dataset_code)
        record.fact_type, record.fact_date, record.fact = fact_type, day, {"reference": "", **fact}
        record.save()
        return {"person": p, "dataset": record.dataset, "source_record": record}

    def birth(self, parent, day: date):
        return ChildBirth.objects.create(born_on=day, **self._event(parent, "bcc-maternity-births", "birth-of-child", day))

    def neet_status(self, p, day: date, activity: str):
        common = self._event(p, "bcc-neet-tracking", "neet-status", day, activity=activity)
        return NeetStatus.objects.create(recorded_on=day, activity=activity, **common)

    def custody(self, p, start: date, release: date | None, establishment=""):
        common = self._event(p, "asc-custody-releases", "custody", start, establishment=establishment,
                             expected_release=release.isoformat() if release else "")
        return CustodySpell.objects.create(started_on=start, expected_release=release, establishment=establishment, **common)

    def flag(self, p, kind: str, day: date):
        return ExploitationFlag.objects.create(kind=kind, flagged_on=day,
                                               **self._event(p, "asc-exploitation-flags", kind, day))

    def enrol(self, p, school, date_from, date_to=None):
        return Enrolment.objects.create(person=p, school=school, upn="A1", date_from=date_from, date_to=date_to,
                                        dataset=self.census)

    def family(self, *members, since=date(2019, 1, 1)):
        """A family of ``(person, role)`` or ``(person, role, date_to)`` members."""
        self._families += 1
        household = Household.objects.create(address=factories.address(number=str(self._families)), date_from=since)
        family = Family.objects.create(reference=f"FT{self._families:04d}", household=household)
        for member in members:
            person, role, *end = member
            FamilyMembership.objects.create(family=family, person=person, role=role, date_from=since,
                                            date_to=end[0] if end else None)
        return family


@pytest.fixture
def build(db):
    return Build()
