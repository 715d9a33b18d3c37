"""Writes of programme frameworks: the programme manager makes one framework the active one.

Family criteria, eligibility and priority follow the active framework from the next refresh; the
page queues a full refresh once the change commits (``framework_views.framework_activate``).
"""

from __future__ import annotations

from django.db import transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.indicators.models import Framework


class FrameworkAlreadyActive(ValueError):
    """The framework asked for is the active one already: nothing changed."""


def framework_activate(*, framework: Framework, by, request=None) -> Framework:
    """Make ``framework`` the active one (and no other), recorded as ``framework_change``; one transaction."""
    with transaction.atomic():
        active = list(Framework.objects.select_for_update().filter(is_active=True))
        if [f.pk for f in active] == [framework.pk]:
            raise FrameworkAlreadyActive(f"{framework.name} is already the active framework.")
        Framework.objects.filter(is_active=True).update(is_active=False)
        Framework.objects.filter(pk=framework.pk).update(is_active=True)
        audit_record(action=AuditEvent.Action.FRAMEWORK_CHANGE, request=request, user=by, subject_type="framework",
                     subject_id=framework.code,
                     details={"active": framework.code, "previous": [f.code for f in active]})
    framework.is_active = True
    return framework
