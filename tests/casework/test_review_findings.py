"""Findings of the security and correctness review of casework (issue 14): each a boundary that must hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.casework.models import Case
from apps.people.models import FamilyMembership
from tests import factories

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def test_a_refused_allocation_does_not_count_an_adult_the_manager_may_not_see(consent_case, team, users):
    """Every adult the manager sees has given consent; a restricted adult has not. Allocation is refused (the rule
    holds for every adult), but the refusal must not count the hidden adult ("for 1 adult")."""
    family = consent_case.family
    hidden = factories.person(forename="Quentin", surname="Hiddenhurst", dob=dt.date(1985, 2, 14),
                              is_restricted=True, restriction_reason="Relative of staff")
    FamilyMembership.objects.create(family=family, person=hidden, role="parent", date_from=dt.date(2019, 1, 1))
    manager = signed_in(users["early-help-manager"])
    mum = family.memberships.get(role="parent", person__is_restricted=False).person
    assert manager.post(reverse("casework:case_consent", kwargs={"pk": consent_case.pk}), {
        "action": "consent", "person": mum.pk, "status": "given",
        "recorded_on": timezone.localdate().isoformat()}).status_code == 302

    page = manager.post(reverse("casework:case_allocate", kwargs={"pk": consent_case.pk}),
                        {"action": "allocate", "lead": f"{team.pk}-{users['key-worker'].pk}"}).content.decode()

    consent_case.refresh_from_db()
    assert consent_case.state == Case.State.CONSENT
    assert "govuk-error-summary" in page
    assert "1 adult" not in page and "Hiddenhurst" not in page
