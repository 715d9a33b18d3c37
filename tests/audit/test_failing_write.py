"""If the audit write fails, the user gets an error and no data, and nothing of the request is kept."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from apps.audit import services
from apps.audit.models import AuditEvent
from apps.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_audit(monkeypatch):
    """Every audit write fails, whichever module imported ``audit_record``."""

    def fail(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "event_hash", fail)


@pytest.fixture
def key_worker_client(users):
    client = Client(raise_request_exception=False)
    client.force_login(users["key-worker"], backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def person():
    return Person.objects.create(forename="Ottoline", surname="Quennell-Farquhar", search_surname="QUENNELL FARQUHAR")


@pytest.mark.urls("tests.audit.urls_testonly")
def test_a_data_view_answers_with_an_error_and_no_data(key_worker_client, person, broken_audit):
    response = key_worker_client.get(reverse("testonly_person", args=[person.pk]))
    assert response.status_code == 500
    assert b"Quennell" not in response.content
    assert not AuditEvent.objects.exclude(action=AuditEvent.Action.LOGIN).exists()  # only the sign-in before


@pytest.mark.urls("tests.audit.urls_testonly")
def test_the_same_view_shows_the_data_when_the_audit_write_works(key_worker_client, person):
    response = key_worker_client.get(reverse("testonly_person", args=[person.pk]))
    assert response.status_code == 200 and b"Quennell" in response.content
    assert AuditEvent.objects.filter(action="view_person", subject_id=str(person.pk)).count() == 1


def test_the_person_page_answers_with_an_error_and_no_data(key_worker_client, person, broken_audit):
    try:
        url = reverse("caseview:person", args=[person.pk])
    except NoReverseMatch:
        pytest.fail("The person page (caseview:person) is gone: point this test at the page that shows a person.")
    response = key_worker_client.get(url)
    assert response.status_code == 500
    assert b"Quennell" not in response.content
    assert not AuditEvent.objects.exclude(action=AuditEvent.Action.LOGIN).exists()  # only the sign-in before


def test_a_sign_in_whose_record_fails_does_not_sign_in(users, broken_audit):
    from tests.conftest import PASSWORD

    client = Client(raise_request_exception=False)
    response = client.post(reverse("accounts:login"), {"username": "key_worker", "password": PASSWORD})
    assert response.status_code == 500
    assert "_auth_user_id" not in client.session
