"""A family with records from several agencies, a restricted member, and facts in sections some roles do not see."""

from __future__ import annotations

from datetime import date

from apps.people.models import FamilyMembership
from apps.people.restriction import record_name_user
from apps.schools.models import Exclusion
from apps.sources.models import Dataset
from tests import factories


def family_with_agencies(users) -> dict:
    made = factories.family(reference="F000777")
    mum, child = made["mum"], made["child"]
    Exclusion.objects.create(person=child, school=made["school"], kind=Exclusion.Kind.FIXED, start_date=date(2025, 1, 15),
                             sessions=4, reason="Persistent disruptive behaviour",
                             dataset=Dataset.objects.get(code="dfe-exclusions"))
    factories.indicator(child, "child-in-need", on=date(2024, 12, 1), notes="CIN-0042", dataset_code="bcc-children-in-need")
    factories.indicator(child, "youth-caution-or-restorative-justice", on=date(2023, 5, 1), dataset_code="bcc-youth-offending")
    factories.indicator(mum, "accessed-drug-or-alcohol-support", on=date(2025, 2, 10), notes="Weekly sessions",
                        dataset_code="bcc-substance-support")
    # a restricted child of the family, named only to the social worker
    hidden = factories.person(forename="Quentin", surname="Smith", dob=date(2013, 2, 14), is_restricted=True,
                              restriction_reason="Relative of staff")
    factories.source_record(hidden, "bcc-housing-tenancies")
    FamilyMembership.objects.create(family=made["family"], person=hidden, role="child", relationship="son",
                                    date_from=date(2019, 1, 1))
    factories.indicator(hidden, "person-committed-offence", on=date(2025, 2, 20), notes="Theft from a shop",
                        dataset_code="asc-offenders")
    factories.indicator(hidden, "accessed-homeless-prevention-support", on=date(2025, 1, 5), notes="HP-9911",
                        dataset_code="bcc-homeless-prevention")
    record_name_user(record=hidden, user=users["social-worker"], custodian=users["data-custodian"])
    return made | {"hidden": hidden}
