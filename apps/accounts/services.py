"""Writes for accounts: access requests, the custodian's decisions, revocation. Each step is audited."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import AccessGrant, Role


@transaction.atomic
def access_request_create(*, user, role: Role, justification: str, line_manager: str, request=None) -> AccessGrant:
    if not justification.strip():
        raise ValidationError({"justification": "Say why you need this role."})
    if not line_manager.strip():
        raise ValidationError({"line_manager": "Name your line manager."})
    if AccessGrant.objects.filter(user=user, role=role, status=AccessGrant.Status.REQUESTED).exists():
        raise ValidationError({"role": "You already have a request for this role waiting for a decision."})
    renewable_from = timezone.now() + timedelta(days=settings.ACCESS_REVIEW_WINDOW_DAYS)
    current = AccessGrant.objects.active().filter(user=user, role=role, expires_at__gt=renewable_from).first()
    if current is not None:  # a grant due for review may be renewed by a new request
        raise ValidationError(
            {"role": f"You already have this role until {timezone.localtime(current.expires_at):%d %B %Y}."}
        )
    grant = AccessGrant.objects.create(
        user=user, role=role, justification=justification.strip(), line_manager=line_manager.strip()
    )
    audit_record(
        action=AuditEvent.Action.ACCESS_REQUEST, request=request, user=user, subject_type="user", subject_id=user.pk,
        details={"role": role.slug, "grant": grant.pk, "line_manager": grant.line_manager},
    )
    return grant


@transaction.atomic
def access_grant_approve(*, grant: AccessGrant, custodian, expires_at, reason: str = "", request=None) -> AccessGrant:
    now = timezone.now()
    if grant.status != AccessGrant.Status.REQUESTED:
        raise ValidationError("Only a waiting request can be approved.")
    if grant.user_id == custodian.pk:
        raise ValidationError("A custodian cannot approve their own request.")
    if expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if expires_at > now + timedelta(days=settings.ACCESS_GRANT_MAX_DAYS):
        raise ValidationError({"expires_at": "A grant can last at most 12 months."})
    grant.status = AccessGrant.Status.APPROVED
    grant.decided_by = custodian
    grant.decided_at = now
    grant.expires_at = expires_at
    grant.decision_reason = reason
    grant.save()
    audit_record(
        action=AuditEvent.Action.ACCESS_GRANT, request=request, user=custodian, subject_type="user",
        subject_id=grant.user_id, details={"role": grant.role.slug, "grant": grant.pk, "expires_at": expires_at.isoformat()},
    )
    return grant


@transaction.atomic
def access_grant_refuse(*, grant: AccessGrant, custodian, reason: str, request=None) -> AccessGrant:
    if grant.status != AccessGrant.Status.REQUESTED:
        raise ValidationError("Only a waiting request can be refused.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for refusing."})
    grant.status = AccessGrant.Status.REFUSED
    grant.decided_by = custodian
    grant.decided_at = timezone.now()
    grant.decision_reason = reason.strip()
    grant.save()
    audit_record(
        action=AuditEvent.Action.ACCESS_REFUSE, request=request, user=custodian, subject_type="user",
        subject_id=grant.user_id, details={"role": grant.role.slug, "grant": grant.pk, "reason": grant.decision_reason},
    )
    return grant


@transaction.atomic
def access_grant_revoke(*, grant: AccessGrant, custodian, reason: str, request=None) -> AccessGrant:
    if not grant.is_active:
        raise ValidationError("Only an active grant can be revoked.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for revoking."})
    grant.status = AccessGrant.Status.REVOKED
    grant.revoked_by = custodian
    grant.revoked_at = timezone.now()
    grant.revoke_reason = reason.strip()
    grant.save()
    audit_record(
        action=AuditEvent.Action.ACCESS_REVOKE, request=request, user=custodian, subject_type="user",
        subject_id=grant.user_id, details={"role": grant.role.slug, "grant": grant.pk, "reason": grant.revoke_reason},
    )
    return grant


@transaction.atomic
def role_otp_set(*, role: Role, required: bool, custodian, request=None) -> Role:
    """Require (or stop requiring) a TOTP second factor for users acting in ``role``.

    Audited as a restriction change on the role (subject type ``role``)."""
    if role.requires_otp == required:
        return role
    role.requires_otp = required
    role.save(update_fields=["requires_otp"])
    audit_record(
        action=AuditEvent.Action.RESTRICTION_CHANGE, request=request, user=custodian, subject_type="role", subject_id=role.slug,
        details={"change": "requires_otp", "requires_otp": required},
    )
    return role


@transaction.atomic
def access_grants_record_expiry(*, at=None) -> int:
    """Record, once each, the grants that have expired. Expiry itself needs no job:
    ``AccessGrant.objects.active()`` stops counting a grant the moment it lapses."""
    at = at or timezone.now()
    already = set(
        AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_EXPIRE).values_list("subject_id", flat=True)
    )
    expired = AccessGrant.objects.filter(
        status=AccessGrant.Status.APPROVED, revoked_at__isnull=True, expires_at__lte=at
    ).select_related("role")
    count = 0
    for grant in expired:
        if f"grant:{grant.pk}" in already:
            continue
        audit_record(
            action=AuditEvent.Action.ACCESS_EXPIRE, subject_type="grant", subject_id=f"grant:{grant.pk}",
            details={"user": grant.user_id, "role": grant.role.slug, "expired_at": grant.expires_at.isoformat()},
        )
        count += 1
    return count


@transaction.atomic
def demo_user_create(*, username: str, role: Role, password: str, full_name: str, granted_by=None):
    """A demo or test user with an approved 12-month grant of ``role``."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    first, _, last = full_name.partition(" ")
    user, _ = User.objects.get_or_create(username=username, defaults={"first_name": first, "last_name": last})
    user.set_password(password)
    user.save()
    if not AccessGrant.objects.active().filter(user=user, role=role).exists():
        now = timezone.now()
        AccessGrant.objects.create(
            user=user, role=role, justification="Demo account", line_manager="Demo", status=AccessGrant.Status.APPROVED,
            decided_by=granted_by, decided_at=now, expires_at=now + timedelta(days=365),
        )
    return user


@transaction.atomic
def demo_team_create(*, code: str, name: str, manager, members=(), email: str = "", phone: str = ""):
    """A demo team (``code`` identifies it; a second call adds nothing): ``manager`` manages it, ``members`` are
    practitioners in it. Like ``demo_user_create``, for the demo and tests only."""
    from .models import Team, TeamMembership

    team, _ = Team.objects.get_or_create(code=code, defaults={"name": name, "email": email, "phone": phone})
    TeamMembership.objects.get_or_create(team=team, user=manager, defaults={"is_manager": True})
    for user in members:
        TeamMembership.objects.get_or_create(team=team, user=user, defaults={"is_manager": False})
    return team
