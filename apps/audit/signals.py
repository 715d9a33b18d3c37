"""Sign-in, sign-out, failed sign-in and lockout go into the audit log.

Connected in ``AuditConfig.ready``. Each receiver writes in the request's
transaction like any other audit event: if the write fails, so does the sign-in.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditEvent
from .services import audit_record


def _attempted_username(credentials: dict | None) -> str:
    return str((credentials or {}).get("username", ""))[:150]


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender, request, user, **kwargs):
    audit_record(action=AuditEvent.Action.LOGIN, request=request, user=user, subject_type="user", subject_id=user.pk)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender, request, user, **kwargs):
    if user is None:  # signing out an anonymous session: nobody to record
        return
    audit_record(action=AuditEvent.Action.LOGOUT, request=request, user=user, subject_type="user", subject_id=user.pk)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        action=AuditEvent.Action.LOGIN_FAILED, request=request, user=AnonymousUser(), subject_type="user",
        details={"username": _attempted_username(credentials)},
    )


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def record_locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(
        action=AuditEvent.Action.LOCKED_OUT, request=request, user=AnonymousUser(), subject_type="user",
        details={"username": str(username or "")[:150]},
    )

