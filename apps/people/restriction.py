"""Restricted records: the custodian's writes and break-glass.

A restricted person or family (staff, relatives of staff, high-profile cases)
is visible only to the users the custodian names on it (a django-guardian
direct object permission) and to a case-role user who breaks the glass,
giving a reason, for ``BREAK_GLASS_HOURS``. The read side of the rule is in
``apps.accounts.access.visible_persons`` / ``visible_families``.

Every change is written to the audit log in the same transaction; a
break-glass event is what the reviewers' alert is raised from.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from apps.accounts.access import CASE_BREAK_GLASS, access_for
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import BreakGlass, Family, Person

BREAK_GLASS_HOURS = 8
BREAK_GLASS_REASON_MIN_LENGTH = 10

# kind in URLs and audit subjects -> (model, guardian permission naming a user on it)
RESTRICTABLE = {
    "person": (Person, "people.view_restricted_person"),
    "family": (Family, "people.view_restricted_family"),
}


def record_kind(record) -> str:
    for kind, (model, _perm) in RESTRICTABLE.items():
        if isinstance(record, model):
            return kind
    raise TypeError(f"{type(record).__name__} cannot be restricted")


def restrictable_model(kind: str):
    """The model for ``kind`` ("person" or "family"); ``LookupError`` otherwise."""
    try:
        return RESTRICTABLE[kind][0]
    except KeyError as exc:
        raise LookupError(f"Unknown record kind {kind!r}") from exc


def _audit_change(*, record, custodian, change: str, request, **details) -> None:
    audit_record(
        action=AuditEvent.Action.RESTRICTION_CHANGE, request=request, user=custodian,
        subject_type=record_kind(record), subject_id=record.pk, details={"change": change, **details},
    )


@transaction.atomic
def record_restrict(*, record, custodian, reason: str, request=None):
    """Restrict ``record`` (a Person or Family) to the users named on it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for restricting this record, e.g. 'Member of staff'."})
    if len(reason) > 200:
        raise ValidationError({"reason": "Keep the reason to 200 characters."})
    if record.is_restricted:
        raise ValidationError("This record is already restricted.")
    record.is_restricted = True
    record.restriction_reason = reason
    record.save(update_fields=["is_restricted", "restriction_reason"])
    _audit_change(record=record, custodian=custodian, change="restrict", request=request, reason=reason)
    return record


@transaction.atomic
def record_unrestrict(*, record, custodian, reason: str, request=None):
    """Lift the restriction. Named users stay named, so restricting again needs no re-naming."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for lifting the restriction."})
    if not record.is_restricted:
        raise ValidationError("This record is not restricted.")
    record.is_restricted = False
    record.restriction_reason = ""
    record.save(update_fields=["is_restricted", "restriction_reason"])
    _audit_change(record=record, custodian=custodian, change="unrestrict", request=request, reason=reason)
    return record


@transaction.atomic
def record_name_user(*, record, user, custodian, request=None) -> None:
    """Name ``user`` on ``record``: they see it while it is restricted."""
    if not user.is_active:
        raise ValidationError({"username": f"{user.get_username()} is not an active account."})
    permission = RESTRICTABLE[record_kind(record)][1]
    if record.named_users.filter(user=user).exists():
        raise ValidationError({"username": f"{user.get_username()} is already named on this record."})
    assign_perm(permission, user, record)
    _audit_change(record=record, custodian=custodian, change="name_user", request=request, user=user.get_username())


@transaction.atomic
def record_unname_user(*, record, user, custodian, request=None) -> None:
    permission = RESTRICTABLE[record_kind(record)][1]
    remove_perm(permission, user, record)
    _audit_change(record=record, custodian=custodian, change="unname_user", request=request, user=user.get_username())


def named_users(record):
    """Users named on ``record``, by username."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk__in=record.named_users.values("user_id")).order_by("username")


def _break_glass_reason(*, user, reason: str, request) -> str:
    if not access_for(user, request).can(CASE_BREAK_GLASS):
        raise ValidationError("Your role cannot break the glass on a restricted record.")
    reason = reason.strip()
    if len(reason) < BREAK_GLASS_REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": "Say why you need to open this record, in at least "
                       f"{BREAK_GLASS_REASON_MIN_LENGTH} characters."}
        )
    return reason


@transaction.atomic
def break_glass_attempt(*, user, kind: str, pk: int, reason: str, request=None) -> None:
    """A reason given to open a record id with nothing restricted behind it (none, or not restricted).

    Recorded like a break-glass (the reviewers see who tried to open what, and why), but opens
    nothing; the break-glass page answers it exactly as it answers a real one, so the page is
    no oracle for which ids are restricted records.
    """
    restrictable_model(kind)
    reason = _break_glass_reason(user=user, reason=reason, request=request)
    audit_record(
        action=AuditEvent.Action.BREAK_GLASS, request=request, user=user, subject_type=kind, subject_id=pk,
        details={"reason": reason, "opened": False},
    )


@transaction.atomic
def break_glass(*, user, record, reason: str, request=None) -> BreakGlass:
    """Open a restricted ``record`` to ``user`` for ``BREAK_GLASS_HOURS``, stating why.

    Only a role with ``case.break_glass`` may do it; the audit event
    (action ``break_glass``) raises an alert to the reviewers.
    """
    if not record.is_restricted:
        raise ValidationError("This record is not restricted.")
    reason = _break_glass_reason(user=user, reason=reason, request=request)
    kind = record_kind(record)
    expires_at = timezone.now() + timedelta(hours=BREAK_GLASS_HOURS)
    glass = BreakGlass.objects.create(user=user, reason=reason, expires_at=expires_at, **{kind: record})
    audit_record(
        action=AuditEvent.Action.BREAK_GLASS, request=request, user=user, subject_type=kind, subject_id=record.pk,
        details={"reason": reason, "break_glass": glass.pk, "expires_at": expires_at.isoformat()},
    )
    return glass
