"""Records and helpers shared by the access tests."""

from __future__ import annotations

from datetime import date

import pytest

from apps.people.models import Family, FamilyMembership, Person


@pytest.fixture
def person(db):
    return Person.objects.create(
        forename="Mariella", surname="Quennington", date_of_birth=date(1984, 3, 9), nhs_number="9434765919",
    )


@pytest.fixture
def restricted_person(db):
    return Person.objects.create(
        forename="Ottoline", surname="Brackenbury", date_of_birth=date(1979, 11, 2), nhs_number="9434765870",
        is_restricted=True, restriction_reason="Member of staff",
    )


@pytest.fixture
def restricted_family(db):
    family = Family.objects.create(reference="F000777", lead_professional="Jo Lead", is_restricted=True,
                                   restriction_reason="High-profile case")
    child = Person.objects.create(forename="Tamsin", surname="Fettiplace", date_of_birth=date(2015, 6, 1))
    FamilyMembership.objects.create(family=family, person=child, role=FamilyMembership.Role.CHILD)  # a family has a child
    return family
