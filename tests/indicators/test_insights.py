import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_analyst_sees_aggregates_with_small_counts_suppressed_and_no_names(client_as):
    fam = factories.family(reference="F000900")
    body = client_as("analyst").get(reverse("indicators:insights")).content.decode()
    assert "East Central" in body
    assert "fewer than 5" in body
    for person in (fam["mum"], fam["child"], fam["baby"]):
        assert person.forename not in body
    assert "F000900" not in body


def test_analyst_lands_on_insights_and_case_pages_stay_closed(client_as):
    client = client_as("analyst")
    assert client.get(reverse("home")).url == reverse("indicators:insights")
    assert client.get(reverse("caseview:search")).status_code == 404


@pytest.mark.parametrize("role", ["key-worker", "data-custodian", "audit-reviewer", None])
def test_other_roles_do_not_have_insights(client_as, role):
    assert client_as(role).get(reverse("indicators:insights")).status_code == 404
