"""Builders for the outcome and assessment tests: a small framework whose needs use each measure, a family,
a case in any state (made directly: the transitions have their own tests), its needs, and dated records."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from apps.casework.models import Case, CaseNeed
from apps.indicators.models import Framework, FrameworkHeadline, FrameworkNeed, IndicatorDefinition
from apps.people.models import Family, FamilyMembership
from apps.schools.models import AttendanceMonth, Exclusion, School
from apps.sources.models import Dataset
from tests import factories

NEEDS = {  # need code: (headline code, measure, params, indicator codes that evidence it)
    "school-attendance": ("good-education", "attendance", {"threshold_percent": 90, "terms": 3},
                          ["child-persistently-absent"]),
    "offending": ("crime", "no-offence", {"months": 6}, ["person-committed-offence", "person-committed-asb"]),
    "domestic-abuse": ("domestic-abuse", "no-da-incident", {"months": 6}, ["victim-of-dva"]),
    "worklessness": ("money", "off-out-of-work-benefits", {"months": 6}, ["out-of-work-benefits"]),
    "missing": ("crime", "no-missing", {"months": 6}, ["person-reported-missing"]),
    "exclusion": ("good-education", "no-exclusion", {"months": 6}, []),
    "family-relationships": ("relationships", "practitioner", {}, []),
    "mental-health": ("health", "no-offence", {"months": 6}, ["mental-health-concern"]),
}


def framework() -> Framework:
    fw = Framework.objects.create(code="test-outcomes", name="Test outcome framework", count_of="needs",
                                  eligible_min=3, is_active=not Framework.objects.filter(is_active=True).exists())
    headlines = {}
    for order, (code, (headline, measure, params, indicators)) in enumerate(NEEDS.items()):
        if headline not in headlines:
            headlines[headline] = FrameworkHeadline.objects.create(
                framework=fw, code=headline, name=headline.replace("-", " ").capitalize(), order=len(headlines))
        need = FrameworkNeed.objects.create(headline=headlines[headline], code=code, name=code.replace("-", " ").capitalize(),
                                            outcome_measure=measure, outcome_params=params,
                                            outcome_text=f"Outcome for {code}", order=order)
        need.indicators.set(IndicatorDefinition.objects.filter(code__in=indicators))
    return fw


def family(reference="F070001"):
    fam = Family.objects.create(reference=reference)
    mum = factories.person(forename="Kerry", surname="Oakfield", dob=date(1988, 6, 1), sex="F")
    child = factories.person(forename="Jack", surname="Oakfield", dob=date(2012, 3, 12), sex="M")
    for p, role in ((mum, "parent"), (child, "child")):
        FamilyMembership.objects.create(family=fam, person=p, role=role, date_from=date(2019, 1, 1))
        factories.source_record(p, "bcc-housing-tenancies")
    return fam, mum, child


def case(fam, fw, *, state=Case.State.PLAN_AGREED, lead=None, closed_on=None, reference="C070001") -> Case:
    return Case.objects.create(reference=reference, family=fam, framework=fw, state=state, lead_practitioner=lead,
                               opened_on=date(2024, 1, 10), closed_on=closed_on)


def need(c: Case, code: str, persons, by, *, measure=None, params=None, note="", noted_on=None) -> CaseNeed:
    framework_need = FrameworkNeed.objects.get(headline__framework=c.framework, code=code)
    made = CaseNeed.objects.create(
        case=c, need=framework_need, evidence_source="practitioner", evidence_note="Seen at home visit",
        evidence_date=date(2024, 2, 1), confirmed_by=by, confirmed_at=timezone.now(),
        outcome_measure=measure or framework_need.outcome_measure,
        outcome_params=framework_need.outcome_params if params is None else params,
        outcome_text=framework_need.outcome_text, outcome_note=note, outcome_date=noted_on)
    made.persons.set(persons)
    return made


def attendance(p, month: date, attended: int, possible: int) -> AttendanceMonth:
    school = School.objects.get_or_create(urn="170001", defaults={"name": "Oakfield Primary"})[0]
    return AttendanceMonth.objects.create(person=p, school=school, month=month, sessions_attended=attended,
                                          sessions_possible=possible, dataset=Dataset.objects.get(code="dfe-attendance"))


def exclusion(p, on: date) -> Exclusion:
    school = School.objects.get_or_create(urn="170001", defaults={"name": "Oakfield Primary"})[0]
    return Exclusion.objects.create(person=p, school=school, kind="fixed", start_date=on, sessions=2,
                                    dataset=Dataset.objects.get(code="dfe-exclusions"))


def plan_on_case(made: Case, persons, lead, *, evidence_person, record) -> Case:
    """For the non-interference world: ``made`` (a case led by ``lead``) moved to the test framework with one need
    confirmed from the data, the evidence a record about ``evidence_person`` (e.g. a restricted child's)."""
    made.framework = framework()
    made.save(update_fields=["framework"])
    confirmed = need(made, "offending", persons, lead)
    confirmed.evidence_source = CaseNeed.EvidenceSource.DATA
    confirmed.evidence = [{"id": record.pk, "person": evidence_person.pk, "indicator": record.definition.code,
                           "date": record.indicator_date.isoformat(), "dataset": record.dataset.code,
                           "section": record.definition.category.section.code}]
    confirmed.save()
    return made
