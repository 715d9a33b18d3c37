import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def fam(db):
    return factories.family(reference="F000777")


def test_api_search_is_audited_and_filtered_by_section(client_as, fam):
    response = client_as("police-safeguarding").get(reverse("caseview_api:search"), {"q": "Kerry Smith", "purpose": "Safeguarding enquiry"})
    assert response.status_code == 200
    data = response.json()
    mum = next(r for r in data["results"] if r["id"] == fam["mum"].pk)
    assert "DA" in mum["badges"]
    assert "HEALTH" not in mum["badges"] and "INCOME" not in mum["badges"]
    assert AuditEvent.objects.get(action="search").details["api"] is True


def test_api_search_requires_purpose(client_as, fam):
    response = client_as("key-worker").get(reverse("caseview_api:search"), {"q": "Smith"})
    assert response.status_code == 400
    assert "reason" in response.json()["error"]


def test_api_person_hides_sections_and_records_the_view(client_as, fam):
    mum = fam["mum"]
    data = client_as("police-safeguarding").get(reverse("caseview_api:person", args=[mum.pk])).json()
    codes = {i["code"] for i in data["indicators"]}
    assert "victim-of-dva" in codes
    assert "mental-health-concern" not in codes and "out-of-work-benefits" not in codes
    assert "low mood" not in str(data)
    assert AuditEvent.objects.get(action="view_person").subject_id == str(mum.pk)


def test_api_restricted_and_unknown_are_404(client_as, fam):
    mum = fam["mum"]
    mum.is_restricted = True
    mum.save()
    client = client_as("key-worker")
    assert client.get(reverse("caseview_api:person", args=[mum.pk])).status_code == 404
    assert client.get(reverse("caseview_api:person", args=[999999])).status_code == 404
    assert client.get(reverse("caseview_api:family", args=[999999])).status_code == 404


def test_api_family(client_as, fam):
    data = client_as("key-worker").get(reverse("caseview_api:family", args=[fam["family"].pk])).json()
    assert data["reference"] == "F000777"
    assert {m["forename"] for m in data["members"]} == {"Kerry", "Jack", "Lily"}
    assert "domestic-abuse" in data["headline_problems_met"]


def test_api_denied_for_roles_without_case_access(client_as, fam):
    assert client_as("audit-reviewer").get(reverse("caseview_api:person", args=[fam["mum"].pk])).status_code == 404
