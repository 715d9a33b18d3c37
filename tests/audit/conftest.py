"""Helpers for the audit tests: events at a chosen time, and tampering past the triggers."""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

_triggers = importlib.import_module("apps.audit.migrations.0004_chain_positions_and_retention_owner")


@pytest.fixture
def record_at():
    """``record_at(when, action=..., ...)``: an audit event as if written at ``when``."""

    def record(when, **kwargs):
        kwargs.setdefault("action", AuditEvent.Action.SEARCH)
        with mock.patch.object(timezone, "now", return_value=when):
            return audit_record(**kwargs)

    return record


@contextmanager
def append_only_triggers_off():
    """What a superuser (or anyone with DDL rights on the audit table) could do behind the application's back:
    switch the append-only triggers off, and with them the one that keeps the chain head."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            for statement in _triggers.SQLITE_REVERSE:
                cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
            else:
                for statement in _triggers.SQLITE_FORWARD:
                    cursor.execute(statement)


@pytest.fixture
def tamper():
    return append_only_triggers_off
