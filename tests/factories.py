"""Small builders of master-data records for tests (no synthetic generator needed)."""

from __future__ import annotations

from datetime import date
from itertools import count

from django.utils import timezone

from apps.common.names import normalise_name, phonetic, search_key
from apps.indicators.models import IndicatorDefinition, PersonIndicator
from apps.people.models import Address, AddressHistory, Family, FamilyMembership, Household, Person, Relationship
from apps.schools.models import AttendanceMonth, Enrolment, School, SENStatus
from apps.sources.models import Dataset, ImportBatch, SourceRecord

_seq = count(1)
FAMILY_AS_OF = date(2025, 3, 1)  # the family's figures are as of this day (inside the attendance months below)


def address(*, number="12", street="High Street", postcode="BS5 6AB", area="east_central", sub_building="") -> Address:
    key = f"{sub_building}|{number}|{street}|{postcode}".upper()
    return Address.objects.get_or_create(
        address_key=key,
        defaults={"sub_building": sub_building, "building_number": number, "street": street, "postcode": postcode, "area": area},
    )[0]


def person(*, forename="Jack", surname="Smith", dob=date(2011, 3, 12), sex="M", addr: Address | None = None, **extra) -> Person:
    return Person.objects.create(
        forename=forename, surname=surname, date_of_birth=dob, sex=sex, current_address=addr,
        search_forename=search_key(forename), search_surname=search_key(surname),
        forename_phonetic=phonetic(forename), surname_phonetic=phonetic(surname), **extra,
    )


def batch(dataset_code: str) -> ImportBatch:
    dataset = Dataset.objects.get(code=dataset_code)
    return ImportBatch.objects.create(
        dataset=dataset, filename=f"{dataset_code}.csv", checksum=f"{next(_seq):064d}", status=ImportBatch.Status.LOADED,
        finished_at=timezone.now(), is_current=not ImportBatch.objects.filter(dataset=dataset, is_current=True).exists(),
    )


def source_record(p: Person, dataset_code: str, *, key: str | None = None, probability=0.999) -> SourceRecord:
    b = ImportBatch.objects.filter(dataset__code=dataset_code, is_current=True).first() or batch(dataset_code)
    return SourceRecord.objects.create(
        dataset=b.dataset, batch=b, source_key=key or f"{dataset_code[:3].upper()}-{next(_seq):06d}", row_number=next(_seq),
        forename=normalise_name(p.forename), surname=normalise_name(p.surname), date_of_birth=p.date_of_birth, person=p,
        match_probability=probability,
    )


def indicator(p: Person, code: str, *, on=date(2025, 2, 24), value=None, notes="", dataset_code=None) -> PersonIndicator:
    definition = IndicatorDefinition.objects.get(code=code)
    dataset = Dataset.objects.get(code=dataset_code) if dataset_code else None
    ind = PersonIndicator.objects.create(person=p, definition=definition, indicator_date=on, value=value, notes=notes, dataset=dataset)
    if dataset_code:
        ind.source_records.add(source_record(p, dataset_code))
    return ind


def family(*, reference=None, lead_professional="Claire Mackey") -> dict:
    """A family of four at one address, with indicators in several categories and attendance for the child."""
    home = address()
    old = address(number="71", street="Brighton Crescent", postcode="BS3 3PP", area="south")
    household = Household.objects.create(address=home, date_from=date(2019, 1, 1))
    fam = Family.objects.create(reference=reference or f"F{next(_seq):06d}", household=household, lead_professional=lead_professional)
    mum = person(forename="Kerry", surname="Smith", dob=date(1988, 6, 1), sex="F", addr=home)
    if lead_professional:  # as projection keeps it: the open early-help episode, its person and section
        fam.lead_professionals = [{"name": lead_professional, "person": mum.pk, "section": "service-involvement"}]
        fam.save(update_fields=["lead_professionals"])
    child = person(forename="Jack", surname="Smith", dob=date(2011, 3, 12), sex="M", addr=home, upn="A123456789012")
    baby = person(forename="Lily", surname="Smith", dob=date(2019, 1, 20), sex="F", addr=home)
    for p, role, rel in ((mum, "parent", "mother"), (child, "child", "son"), (baby, "child", "daughter")):
        FamilyMembership.objects.create(family=fam, person=p, role=role, relationship=rel, date_from=date(2019, 1, 1))
    Relationship.objects.create(person=mum, related_person=child, kind="mother")
    Relationship.objects.create(person=child, related_person=mum, kind="son")
    council_tax = Dataset.objects.get(code="bcc-council-tax")
    tenancies = Dataset.objects.get(code="bcc-housing-tenancies")
    for p in (mum, child, baby):
        AddressHistory.objects.create(person=p, address=home, date_from=date(2019, 1, 1), dataset=council_tax)
        # every member is known to a dataset each case role sees (police see service involvement, not council tax)
        source_record(p, "bcc-housing-tenancies")
        AddressHistory.objects.create(person=p, address=home, date_from=date(2019, 1, 1), dataset=tenancies)
    AddressHistory.objects.create(person=mum, address=old, date_from=date(2015, 5, 1), date_to=date(2019, 2, 1), dataset=tenancies)
    indicator(mum, "victim-of-dva", notes="Police DA incident, standard risk", dataset_code="asc-domestic-abuse")
    indicator(mum, "out-of-work-benefits", dataset_code="dwp-out-of-work-benefits")
    indicator(mum, "mental-health-concern", notes="Referred by GP for low mood", dataset_code="bcc-mental-health")
    indicator(child, "child-persistently-absent", value=32, notes="32% attendance this academic year")
    school = School.objects.get_or_create(urn="137421", defaults={"name": "Notton House Academy"})[0]
    census = Dataset.objects.get(code="dfe-school-census")
    attendance_ds = Dataset.objects.get(code="dfe-attendance")
    Enrolment.objects.create(person=child, school=school, upn="A123456789012", date_from=date(2018, 9, 1), dataset=census)
    SENStatus.objects.create(person=child, status="E", sen_type="SEMH", recorded_on=date(2024, 10, 1), dataset=Dataset.objects.get(code="dfe-sen"))
    for month, attended, possible in ((date(2025, 2, 1), 10, 20), (date(2025, 1, 1), 12, 38), (date(2024, 12, 1), 3, 30)):
        AttendanceMonth.objects.create(person=child, school=school, month=month, sessions_attended=attended,
                                       sessions_possible=possible, dataset=attendance_ds)
    source_record(child, "dfe-attendance")
    from apps.indicators.services import indicators_refresh

    indicators_refresh(family_reference=fam.reference, as_of=FAMILY_AS_OF)
    # a stored score (the refresh's own models need more history than this small family has)
    indicator(child, "risk-of-neet", value=88, notes="Flagged at risk as they meet 3 risk factors: attendance, exclusions, family worklessness")
    return {"family": fam, "mum": mum, "child": child, "baby": baby, "home": home, "old": old, "school": school}


def dataset_bad_rows_set(code: str, bad_rows: str) -> None:
    """Make dataset ``code`` reject or quarantine bad rows (its descriptor's ``bad_rows``), as the datasets page would."""
    dataset = Dataset.objects.get(code=code)
    dataset.descriptor = {**dataset.descriptor, "bad_rows": bad_rows}
    dataset.save(update_fields=["descriptor"])


def dataset_column_optional(code: str, column: str) -> None:
    """Make ``column`` optional in dataset ``code``'s descriptor (e.g. a dataset whose rows may lack a surname)."""
    dataset = Dataset.objects.get(code=code)
    fields = [
        {**f, "constraints": {**f.get("constraints", {}), "required": False}} if f["name"] == column else f
        for f in dataset.descriptor["schema"]["fields"]
    ]
    dataset.descriptor = {**dataset.descriptor, "schema": {**dataset.descriptor["schema"], "fields": fields}}
    dataset.save(update_fields=["descriptor"])
