"""Login security: lockout, session timeouts, CSRF, password rules and the TOTP second factor."""

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from apps.accounts.models import Role
from tests.conftest import PASSWORD
from tests.normalise import normalise

pytestmark = pytest.mark.django_db


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def current_code(device: TOTPDevice) -> str:
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{token:0{device.digits}d}"


# --- lockout ---------------------------------------------------------------------------------
def test_the_right_password_signs_in(client, users):
    response = sign_in(client, "key_worker")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(users["key-worker"].pk)


def test_an_account_locks_after_repeated_failures_even_with_the_right_password(client, users, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "key_worker", "wrong-password-123").status_code == 200
    assert sign_in(client, "key_worker", "wrong-password-123").status_code == 429  # the limit-th failure locks
    response = sign_in(client, "key_worker")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # the lockout is per account: someone else in the same office can still sign in
    assert sign_in(Client(), "social_worker").status_code == 302


def test_fewer_failures_than_the_limit_do_not_lock(client, users, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "key_worker", "wrong-password-123")
    assert sign_in(client, "key_worker").status_code == 302


# --- session timeouts ------------------------------------------------------------------------
def age_session(client, **keys_seconds_ago):
    session = client.session
    for key, seconds in keys_seconds_ago.items():
        session[key] = time.time() - seconds
    session.save()


@pytest.fixture
def short_sessions(settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    settings.SESSION_ABSOLUTE_TIMEOUT = 600


def test_an_active_session_carries_on(client_as, short_sessions):
    client = client_as("data-custodian")
    client.get(reverse("accounts:custodian"))
    age_session(client, **{SESSION_LAST_SEEN: 30, SESSION_STARTED: 500})
    assert client.get(reverse("accounts:custodian")).status_code == 200


def test_an_idle_session_is_signed_out(client_as, short_sessions):
    client = client_as("data-custodian")
    client.get(reverse("accounts:custodian"))
    age_session(client, **{SESSION_LAST_SEEN: 61})
    response = client.get(reverse("accounts:custodian"))
    assert response["Location"] == f"{reverse('accounts:login')}?timeout=idle"
    assert "_auth_user_id" not in client.session
    assert "inactive for too long" in client.get(response["Location"]).content.decode()


def test_a_session_ends_at_the_absolute_limit_however_active(client_as, short_sessions):
    client = client_as("data-custodian")
    client.get(reverse("accounts:custodian"))
    age_session(client, **{SESSION_LAST_SEEN: 1, SESSION_STARTED: 601})
    response = client.get(reverse("accounts:custodian"))
    assert response["Location"] == f"{reverse('accounts:login')}?timeout=absolute"
    assert client.get(reverse("accounts:custodian"))["Location"].startswith(reverse("accounts:login"))


# --- CSRF and passwords ------------------------------------------------------------------------
def test_a_post_without_a_csrf_token_is_refused(users):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("accounts:login"), {"username": "key_worker", "password": PASSWORD}).status_code == 403
    client.force_login(users[None], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("accounts:my_access"),
                           {"role": "key-worker", "justification": "x", "line_manager": "y"})
    assert response.status_code == 403


@pytest.mark.parametrize("password", ["short-Pw1", "password1234", "123456789012345"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted():
    validate_password("Lantern-Orchard-Quay-71")


# --- second factor -----------------------------------------------------------------------------
@pytest.fixture
def otp_role(db):
    role = Role.objects.get(slug="key-worker")
    role.requires_otp = True
    role.save()
    return role


def test_a_role_requiring_otp_sends_a_user_without_a_device_to_set_one_up(client, users, otp_role, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code then the right one, with no wait between
    sign_in(client, "key_worker")
    response = client.get(reverse("accounts:my_access"))
    assert response["Location"] == f"{reverse('accounts:otp_setup')}?next=%2Faccounts%2Fmy-access%2F"
    setup = response["Location"]
    assert "Create my key" in client.get(setup).content.decode()
    assert not TOTPDevice.objects.filter(user=users["key-worker"]).exists()  # reading the page writes nothing
    assert client.post(setup, {"action": "create"})["Location"] == setup
    page = client.get(setup).content.decode()
    device = TOTPDevice.objects.get(user=users["key-worker"], confirmed=False)
    assert normalise(client.get(setup).content) == normalise(page)  # the same key until it is confirmed
    assert device.config_url in page.replace("&amp;", "&")
    assert "<svg" in page

    wrong = client.post(reverse("accounts:otp_setup"), {"token": "000000" if current_code(device) != "000000" else "111111"})
    assert "That code is not right" in wrong.content.decode()
    response = client.post(reverse("accounts:otp_setup"), {"token": current_code(device), "next": "/accounts/my-access/"})
    assert response["Location"] == "/accounts/my-access/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("accounts:my_access")).status_code == 200


def test_a_user_with_a_device_must_enter_a_code_after_the_password(client, users):
    device = TOTPDevice.objects.create(user=users["data-custodian"], name="phone", confirmed=True)
    sign_in(client, "data_custodian")
    response = client.get(reverse("accounts:custodian"))
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    # no way round it: not through set-up (which would replace the device), nor another page
    assert client.get(reverse("accounts:otp_setup"))["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.get(reverse("accounts:role_matrix"))["Location"].startswith(reverse("accounts:otp_verify"))
    assert TOTPDevice.objects.filter(user=users["data-custodian"]).count() == 1

    response = client.post(reverse("accounts:otp_verify"), {"token": current_code(device), "next": "/accounts/custodian/"})
    assert response["Location"] == "/accounts/custodian/"
    assert client.get(reverse("accounts:custodian")).status_code == 200


def test_a_wrong_code_is_refused(client, users):
    device = TOTPDevice.objects.create(user=users["data-custodian"], name="phone", confirmed=True)
    sign_in(client, "data_custodian")
    good = current_code(device)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:otp_verify"), {"token": bad})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get(reverse("accounts:custodian")).status_code == 302


def test_repeated_wrong_codes_are_throttled(client, users, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600  # after one failure, the next try waits an hour
    device = TOTPDevice.objects.create(user=users["data-custodian"], name="phone", confirmed=True)
    sign_in(client, "data_custodian")
    good = current_code(device)
    client.post(reverse("accounts:otp_verify"), {"token": f"{(int(good) + 1) % 1_000_000:06d}"})
    response = client.post(reverse("accounts:otp_verify"), {"token": good})
    assert "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("accounts:custodian")).status_code == 302


def test_an_offsite_next_is_not_followed(client, users):
    device = TOTPDevice.objects.create(user=users["data-custodian"], name="phone", confirmed=True)
    sign_in(client, "data_custodian")
    response = client.post(reverse("accounts:otp_verify"), {"token": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")
