"""The Django admin: a second factor for staff, every page audited, no secret shown.

The audit test is generated from the admin's registry: every registered model's
changelist and change view must write exactly one audit event, and a model
registered without an entry in ``OBJECT_MAKERS`` fails the test rather than being
skipped.
"""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Role, Section
from apps.audit import services
from apps.audit.models import AuditEvent
from apps.sources.models import Dataset, ImportBatch, LegalGateway, Organisation
from tests.accounts.test_login_security import current_code, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN_ACTIONS = (AuditEvent.Action.ADMIN_VIEW, AuditEvent.Action.ADMIN_CHANGE)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root", email="root@example.org", password=PASSWORD)


@pytest.fixture
def device(superuser):
    return TOTPDevice.objects.create(user=superuser, name="Authenticator app", confirmed=True)


@pytest.fixture
def admin_client(superuser, device):
    """The superuser signed in through the app's sign-in and its second-factor page."""
    client = Client()
    assert sign_in(client, "root").status_code == 302
    response = client.post(reverse("accounts:otp_verify"), {"token": current_code(device)})
    assert response.status_code == 302, "the code was refused"
    return client


def admin_events():
    return list(AuditEvent.objects.filter(action__in=ADMIN_ACTIONS).order_by("id"))


def _axes_row(model, **extra):
    return model.objects.create(username="someone", ip_address="192.0.2.7", user_agent="test", http_accept="*/*",
                                path_info="/accounts/login/", attempt_time=timezone.now(), **extra)


def _import_batch(user):
    return ImportBatch.objects.create(dataset=Dataset.objects.order_by("code").first(), filename="admin.csv",
                                      checksum="a" * 64)


# One object per registered model, for its change view. A model the admin registers
# that is missing here fails test_every_registered_model_has_an_object_maker.
OBJECT_MAKERS = {
    "auth.group": lambda user: Group.objects.create(name="Admin test group"),
    "auth.user": lambda user: user,
    "axes.accessattempt": lambda user: _axes_row(AccessAttempt, get_data="", post_data="", failures_since_start=1),
    "axes.accesslog": lambda user: _axes_row(AccessLog),
    "axes.accessfailurelog": lambda user: _axes_row(AccessFailureLog),
    "otp_totp.totpdevice": lambda user: TOTPDevice.objects.get(user=user),
    "accounts.role": lambda user: Role.objects.get(slug="key-worker"),
    "accounts.section": lambda user: Section.objects.get(code="health"),
    "sources.organisation": lambda user: Organisation.objects.order_by("pk").first(),
    "sources.legalgateway": lambda user: LegalGateway.objects.order_by("pk").first(),
    "sources.dataset": lambda user: Dataset.objects.order_by("pk").first(),
    "sources.importbatch": _import_batch,
}
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


def admin_url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


# --- the second factor --------------------------------------------------------------------------------
def test_a_superuser_with_only_a_password_is_sent_to_the_second_factor(client, superuser, device):
    assert sign_in(client, "root").status_code == 302
    for url in (reverse("admin:index"), admin_url(get_user_model(), "changelist"),
                admin_url(get_user_model(), "change", superuser.pk)):
        response = client.get(url)
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == reverse("accounts:otp_verify")
        assert parse_qs(location.query)["next"] == [url]
    assert admin_events() == []


def test_a_superuser_without_an_authenticator_app_is_sent_to_set_one_up(client, superuser):
    assert sign_in(client, "root").status_code == 302
    response = client.get(reverse("admin:index"))
    assert urlsplit(response["Location"]).path == reverse("accounts:otp_setup")
    assert admin_events() == []


def test_the_admin_itself_refuses_a_session_without_the_second_factor(client, superuser, device, settings):
    """Even if the middleware were taken out, the admin site lets no unverified staff in."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("SecondFactorMiddleware")]
    assert sign_in(client, "root").status_code == 302
    response = client.get(admin_url(get_user_model(), "changelist"))
    assert response.status_code == 302 and urlsplit(response["Location"]).path == reverse("admin:login")
    assert client.get(response["Location"]).status_code == 404  # no admin sign-in form to try a password in
    assert admin_events() == []


def test_the_admin_has_no_sign_in_form_of_its_own(client):
    response = client.get(reverse("admin:login"), {"next": "/admin/auth/user/"})
    location = urlsplit(response["Location"])
    assert response.status_code == 302 and location.path == reverse("accounts:login")
    assert parse_qs(location.query)["next"] == ["/admin/auth/user/"]
    assert client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_user_who_is_not_staff_gets_a_404_from_the_admin_sign_in(client_as):
    client = client_as("data-custodian")
    assert client.get(reverse("admin:login")).status_code == 404


def test_with_the_second_factor_the_admin_works_and_is_audited(admin_client, superuser):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    [event] = admin_events()
    assert (event.action, event.username, event.subject_type, event.details["page"]) == (
        "admin_view", "root", "admin", "index")
    assert event.session_ref  # the session is recorded, as for every other read


# --- every admin page audited, generated from the registry ---------------------------------------------------
def test_every_registered_model_has_an_object_maker():
    registered = {model._meta.label_lower for model in REGISTERED}
    assert registered - set(OBJECT_MAKERS) == set(), "add the new admin model to OBJECT_MAKERS"


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_each_registered_models_changelist_and_change_view_write_exactly_one_audit_event(admin_client, superuser, model):
    obj = OBJECT_MAKERS[model._meta.label_lower](superuser)
    assert obj is not None, f"no {model._meta.label} to open"

    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    [event] = admin_events()
    assert event.action == "admin_view" and event.subject_type == model._meta.model_name
    assert event.details["page"] == "changelist" and event.details["model"] == model._meta.label_lower
    assert str(obj.pk) in event.record_ids and event.result_count == len(event.record_ids) > 0

    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    [_, event] = admin_events()
    assert (event.action, event.subject_type, event.subject_id, event.details["page"]) == (
        "admin_view", model._meta.model_name, str(obj.pk), "change")


def test_a_changelist_search_is_recorded_with_its_terms(admin_client):
    admin_client.get(admin_url(Organisation, "changelist"), {"q": "police"})
    [event] = admin_events()
    assert event.details["query"] == {"q": ["police"]}
    assert event.result_count == Organisation.objects.filter(Q(code__icontains="police") | Q(name__icontains="police")).count()


def test_adding_changing_deleting_and_history_are_each_one_audited_event(admin_client):
    add = admin_client.post(admin_url(Organisation, "add"), {"code": "ZZTEST", "name": "Admin test organisation"})
    assert add.status_code == 302
    organisation = Organisation.objects.get(code="ZZTEST")
    change = admin_client.post(admin_url(Organisation, "change", organisation.pk),
                               {"code": "ZZTEST", "name": "Renamed organisation"})
    assert change.status_code == 302
    assert admin_client.get(admin_url(Organisation, "history", organisation.pk)).status_code == 200
    assert admin_client.post(admin_url(Organisation, "delete", organisation.pk), {"post": "yes"}).status_code == 302
    assert not Organisation.objects.filter(pk=organisation.pk).exists()

    added, changed, history, deleted = admin_events()
    assert (added.action, added.details["page"], added.details["changes"][0]["action"]) == ("admin_change", "add", "add")
    assert (changed.subject_id, changed.details["changes"][0]["action"]) == (str(organisation.pk), "change")
    assert "Name" in changed.details["changes"][0]["message"]  # which field, not its value
    assert (history.action, history.details["page"]) == ("admin_view", "history")
    assert (deleted.action, deleted.details["page"], deleted.details["changes"][0]["action"]) == (
        "admin_change", "delete", "delete")


def test_a_refused_form_is_recorded_as_an_attempt_that_changed_nothing(admin_client):
    response = admin_client.post(admin_url(Organisation, "add"), {"code": "", "name": ""})
    assert response.status_code == 200  # the form again, with its errors
    [event] = admin_events()
    assert event.action == "admin_change" and event.details["status"] == 200 and event.details["changes"] == []


def test_when_the_audit_write_fails_the_admin_shows_nothing_and_keeps_nothing(admin_client, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "event_hash", fail)
    admin_client.raise_request_exception = False
    response = admin_client.get(admin_url(get_user_model(), "changelist"))
    assert response.status_code == 500 and b"root@example.org" not in response.content
    response = admin_client.post(admin_url(Organisation, "add"), {"code": "ZZLOST", "name": "Never kept"})
    assert response.status_code == 500
    assert not Organisation.objects.filter(code="ZZLOST").exists()


# --- secrets ------------------------------------------------------------------------------------------------
def test_the_totp_key_is_never_in_the_admin(admin_client, device):
    secrets = (device.key, b32encode(device.bin_key).decode().rstrip("="))
    pages = [admin_url(TOTPDevice, "changelist"), admin_url(TOTPDevice, "change", device.pk),
             admin_url(TOTPDevice, "history", device.pk), admin_url(TOTPDevice, "delete", device.pk)]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not any(secret in body for secret in secrets), f"{url} shows the TOTP key"
        assert 'name="key"' not in body


def test_the_totp_key_cannot_be_set_nor_a_device_added_in_the_admin(admin_client, device, superuser):
    key = device.key
    assert admin_client.get(admin_url(TOTPDevice, "add")).status_code == 403
    admin_client.post(admin_url(TOTPDevice, "change", device.pk), {
        "key": "00" * 20, "throttling_failure_count": 0,
    })
    device.refresh_from_db()
    assert device.key == key
    for name in ("otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"):  # django-otp's QR and key pages
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:{name}", args=[device.pk])


def test_a_user_page_shows_no_password_hash(admin_client, superuser):
    superuser.refresh_from_db()
    hashed = superuser.password.rsplit("$", 1)[-1]  # algorithm$[iterations$]salt$hash
    body = admin_client.get(admin_url(get_user_model(), "change", superuser.pk)).content.decode()
    assert hashed and hashed not in body
    assert superuser.password not in body
