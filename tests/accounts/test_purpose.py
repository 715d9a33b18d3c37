"""Purpose of access: First Response gives a reference, everyone else a reason from the list."""

import pytest
from django.http import QueryDict

from apps.accounts.access import NO_ACCESS, access_for
from apps.accounts.purpose import PURPOSES, purpose_from


@pytest.fixture
def access_of(users):
    return lambda slug: access_for(users[slug])


def test_first_response_must_give_a_reference(access_of):
    purpose, error = purpose_from(QueryDict("purpose=Safeguarding+enquiry"), access_of("first-response"))
    assert purpose == ""
    assert error == "Enter the call or referral reference."


def test_first_response_reference_becomes_the_purpose(access_of):
    purpose, error = purpose_from(QueryDict("reference=+CR-2026/00123+"), access_of("first-response"))
    assert error is None
    assert purpose == "Call or referral reference CR-2026/00123"


@pytest.mark.parametrize("reference", ["x", "CR 2026", "<script>", "A" * 41])
def test_a_malformed_reference_is_refused(access_of, reference):
    purpose, error = purpose_from({"reference": reference}, access_of("first-response"))
    assert purpose == ""
    assert "3 to 40 letters" in error


def test_other_roles_choose_a_reason_from_the_list(access_of):
    for reason in PURPOSES:
        assert purpose_from({"purpose": reason}, access_of("key-worker")) == (reason, None)


@pytest.mark.parametrize("data", [{}, {"purpose": ""}, {"purpose": "Curiosity"}, {"reference": "CR-2026-1"}])
def test_other_roles_without_a_listed_reason_are_refused(access_of, data):
    purpose, error = purpose_from(data, access_of("police-safeguarding"))
    assert purpose == ""
    assert error == "Choose the reason for this search from the list."


def test_no_role_has_no_purpose():
    assert purpose_from({"purpose": PURPOSES[0]}, NO_ACCESS) == ("", "You have no role to search in.")
