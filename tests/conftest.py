"""Shared test base: one named user per role, and clients signed in as them."""

from __future__ import annotations

import pytest

from apps.accounts.models import Role
from apps.accounts.services import demo_user_create

PASSWORD = "Correct-Horse-Battery-42"
ROLE_SLUGS = (
    "key-worker",
    "first-response",
    "social-worker",
    "early-help-manager",
    "programme-manager",
    "police-safeguarding",
    "analyst",
    "data-custodian",
    "audit-reviewer",
    "data-quality-officer",
)


@pytest.fixture
def make_user(db):
    def make(role_slug: str | None, username: str | None = None):
        from django.contrib.auth import get_user_model

        if role_slug is None:
            return get_user_model().objects.create_user(username=username or "norole", password=PASSWORD)
        role = Role.objects.get(slug=role_slug)
        return demo_user_create(
            username=username or role_slug.replace("-", "_"), role=role, password=PASSWORD, full_name=f"Test {role.name}"
        )

    return make


@pytest.fixture
def users(make_user):
    return {slug: make_user(slug) for slug in ROLE_SLUGS} | {None: make_user(None)}


@pytest.fixture
def client_as(client, users):
    """``client_as("key-worker")``: a test client signed in as that role's user (None: no role)."""

    def sign_in(role_slug):
        client.force_login(users[role_slug], backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness is for production; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
