"""Sign-in, sign-out, failed sign-in and lockout are recorded, with the username attempted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_sign_in_and_sign_out_are_recorded(client, users):
    user = users["key-worker"]
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD},
                           HTTP_USER_AGENT="pytest-browser", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    [login] = _events(AuditEvent.Action.LOGIN)
    assert (login.user_id_snapshot, login.username, login.role) == (user.pk, user.username, "key-worker")
    assert (login.ip_address, login.user_agent) == ("10.1.2.3", "pytest-browser")
    assert len(login.session_ref) == 64

    client.post(reverse("accounts:logout"))
    [logout] = _events(AuditEvent.Action.LOGOUT)
    assert (logout.user_id_snapshot, logout.subject_id) == (user.pk, str(user.pk))


def test_a_failed_sign_in_records_the_username_attempted(client, users):
    client.post(reverse("accounts:login"), {"username": "key_worker", "password": "wrong-password-123"})
    client.post(reverse("accounts:login"), {"username": "nobody_by_that_name", "password": "x"})
    failures = _events(AuditEvent.Action.LOGIN_FAILED)
    assert [(e.username, e.user_id_snapshot) for e in failures] == [("key_worker", None), ("nobody_by_that_name", None)]
    assert not _events(AuditEvent.Action.LOGIN)


def test_a_lockout_is_recorded(client, users, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "key_worker", "password": "wrong-password-123"})
    [locked] = _events(AuditEvent.Action.LOCKED_OUT)
    assert locked.username == "key_worker"
    assert len(_events(AuditEvent.Action.LOGIN_FAILED)) == settings.AXES_FAILURE_LIMIT
