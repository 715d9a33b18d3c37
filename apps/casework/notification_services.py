"""Writes of incident notifications: made after each refresh, marked read, told by email.

``notifications_after_refresh`` is a receiver of ``apps.indicators.signals.refresh_rebuilt``: it runs inside
the refresh's transaction, so what it writes commits or rolls back with the refresh. For every engaged
case (allocated, assessed or plan agreed, with a lead practitioner) and every member current on the
refresh's date, a record is new when

* it is a police, council or school **event** (an event indicator, an exclusion) dated on or after the
  later of the case's allocation and the member's joining the family, and the lead has not been told
  of it on this case (``Notification.fact_key``: the indicator's code and date, survives re-projection and
  re-sent extracts, whose rows get new ids); or
* it is a **risk flag** the refresh has just raised: the (person, risk model) pair was not among the
  computed indicators before this refresh (``before``), so a run again raises none.

Each makes one ``Notification`` for the case's lead practitioner. When GOV.UK Notify is configured
(``NOTIFY_API_KEY`` and ``NOTIFY_TEMPLATE_ID``), each recipient gets one email after the refresh commits
(``tasks.notification_email_send``), saying only that there is something new on ThinkFamily.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import Case, Notification

log = logging.getLogger(__name__)

ENGAGED_STATES = (Case.State.ALLOCATED, Case.State.ASSESSED, Case.State.PLAN_AGREED)
# indicator category code -> kind of notification (any other event: "other new record")
KIND_BY_CATEGORY = {
    "crime": Notification.Kind.POLICE_INCIDENT,
    "asb": Notification.Kind.POLICE_INCIDENT,
    "domestic-abuse": Notification.Kind.DOMESTIC_ABUSE,
    "missing": Notification.Kind.MISSING,
}
SCHOOL_SECTION = "school"


def notify_configured() -> bool:
    return bool(getattr(settings, "NOTIFY_API_KEY", "") and getattr(settings, "NOTIFY_TEMPLATE_ID", ""))


def _engaged_members(*, as_of, scope) -> dict[int, list[tuple[Case, object]]]:
    """person id -> [(case, the date from which their records are new to it), ...] for engaged cases."""
    from apps.indicators.selectors import current_on_q
    from apps.people.models import FamilyMembership

    cases = Case.objects.filter(state__in=ENGAGED_STATES, lead_practitioner__isnull=False, allocated_on__isnull=False)
    if scope is not None and scope.family_ids is not None:
        cases = cases.filter(family_id__in=scope.family_ids)
    by_family = {c.family_id: c for c in cases}
    members = FamilyMembership.objects.filter(current_on_q(as_of), family_id__in=list(by_family))
    if scope is not None and scope.person_ids is not None:
        members = members.filter(person_id__in=scope.person_ids)
    found: dict[int, list] = defaultdict(list)
    for family_id, person_id, joined in members.values_list("family_id", "person_id", "date_from"):
        case = by_family[family_id]
        found[person_id].append((case, max(case.allocated_on, joined) if joined else case.allocated_on))
    return found


def _candidates(members, *, before) -> list[dict]:
    """Every new fact about those members, once per case that follows them."""
    from apps.indicators.models import IndicatorDefinition, PersonIndicator
    from apps.schools.models import Exclusion

    if not members:
        return []
    person_ids = sorted(members)
    earliest = min(since for cases in members.values() for _, since in cases)
    found = []
    events = PersonIndicator.objects.filter(
        person_id__in=person_ids, definition__kind=IndicatorDefinition.Kind.EVENT, indicator_date__gte=earliest,
    ).values_list("pk", "person_id", "definition_id", "definition__code", "definition__category__code",
                  "definition__category__section__code", "indicator_date", "dataset_id")
    for pk, person_id, definition_id, code, category, section, day, dataset_id in events:
        found.append({"person_id": person_id, "kind": KIND_BY_CATEGORY.get(category, Notification.Kind.OTHER),
                      "record_type": Notification.RecordType.INDICATOR, "record_id": pk, "definition_id": definition_id,
                      "dataset_id": dataset_id, "section_code": section, "fact_key": f"{code}:{day.isoformat()}",
                      "occurred_on": day})
    for pk, person_id, day, dataset_id in Exclusion.objects.filter(
            person_id__in=person_ids, start_date__gte=earliest).values_list("pk", "person_id", "start_date", "dataset_id"):
        found.append({"person_id": person_id, "kind": Notification.Kind.EXCLUSION,
                      "record_type": Notification.RecordType.EXCLUSION, "record_id": pk, "definition_id": None,
                      "dataset_id": dataset_id, "section_code": SCHOOL_SECTION, "fact_key": f"exclusion:{day.isoformat()}",
                      "occurred_on": day})
    if before is not None:
        risks = PersonIndicator.objects.filter(person_id__in=person_ids, definition__kind=IndicatorDefinition.Kind.RISK)
        for pk, person_id, definition_id, code, section, day in risks.values_list(
                "pk", "person_id", "definition_id", "definition__code", "definition__category__section__code",
                "indicator_date"):
            if (person_id, definition_id) in before:
                continue
            found.append({"person_id": person_id, "kind": Notification.Kind.RISK_FLAG,
                          "record_type": Notification.RecordType.INDICATOR, "record_id": pk,
                          "definition_id": definition_id, "dataset_id": None, "section_code": section,
                          "fact_key": f"{code}:{day.isoformat()}", "occurred_on": day, "risk": True})
    rows = []
    for fact in found:
        for case, since in members[fact["person_id"]]:
            if fact.get("risk") or fact["occurred_on"] >= since:
                rows.append({**fact, "case": case})
    return rows


def notifications_after_refresh(sender=None, *, run=None, period, scope=None, progress=None, before=None, **kwargs):
    """Receiver of ``refresh_rebuilt``: one notification per new record about a member of an engaged case."""
    members = _engaged_members(as_of=period.as_of, scope=scope)
    rows = _candidates(members, before=before)
    case_ids = sorted({r["case"].pk for r in rows})
    told = set(Notification.objects.filter(case_id__in=case_ids).values_list("case_id", "recipient_id", "person_id",
                                                                              "fact_key"))
    now = timezone.now()
    new, keys = [], set()
    for r in rows:
        case = r["case"]
        key = (case.pk, case.lead_practitioner_id, r["person_id"], r["fact_key"])
        if key in told or key in keys:
            continue
        keys.add(key)
        new.append(Notification(
            case=case, recipient_id=case.lead_practitioner_id, kind=r["kind"], person_id=r["person_id"],
            record_type=r["record_type"], record_id=r["record_id"], definition_id=r["definition_id"],
            dataset_id=r["dataset_id"], section_code=r["section_code"], fact_key=r["fact_key"],
            occurred_on=r["occurred_on"], refresh_run=run if getattr(run, "pk", None) else None, created_at=now))
    Notification.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    recipients = sorted({n.recipient_id for n in new})
    if recipients and notify_configured():
        from .tasks import notification_email_send

        for user_id in recipients:
            transaction.on_commit(lambda user_id=user_id: notification_email_send.delay(user_id=user_id,
                                                                                      since=now.isoformat()))
    if progress is not None:
        progress("notifications", notifications=len(new), recipients=len(recipients))
    return {"notifications": len(new)}


@transaction.atomic
def notification_mark_read(*, notification: Notification, by, request=None) -> Notification:
    """The recipient has read it (idempotent: the first reading is kept)."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    audit_record(action=AuditEvent.Action.CASE_CHANGE, request=request, user=by, subject_type="notification",
                 subject_id=notification.pk, record_ids=[notification.case_id],
                 details={"notification": "read"})
    return notification


def notify_client():
    """The GOV.UK Notify client (its boundary: tests replace this)."""
    from notifications_python_client.notifications import NotificationsAPIClient

    return NotificationsAPIClient(settings.NOTIFY_API_KEY)


def notification_email_send(*, user_id: int, since: str | None = None) -> str:
    """Email one recipient that there is something new on ThinkFamily, through GOV.UK Notify.

    The email carries no personalisation: not what is new, not about whom. It is sent only when the recipient
    may see at least one unread notification (made at or after ``since``, the refresh's, when given) as they may
    see things now (``notification_selectors.notifications_for``): an email about a record they may not see
    (a restricted member, a hidden section) would itself tell them that something happened. The send is
    audited (``notify``) in the same transaction: if Notify refuses, the audit event rolls back and the caller
    (the Celery task) retries; the in-app notifications are untouched either way.
    """
    from django.contrib.auth import get_user_model
    from django.utils.dateparse import parse_datetime

    from apps.accounts.access import Viewer

    from .notification_selectors import notifications_for

    if not notify_configured():
        return "off"
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        log.warning("notification email not sent: user %s has no active account with an email address", user_id)
        return "no_address"
    made_from = parse_datetime(since) if since else None
    unread = notifications_for(viewer=Viewer.for_user(user), unread_only=True).items
    if not any(made_from is None or n.created_at >= made_from for n in unread):
        return "nothing_visible"
    with transaction.atomic():
        audit_record(action=AuditEvent.Action.NOTIFY, subject_type="user", subject_id=user.pk,
                     details={"channel": "email", "template": settings.NOTIFY_TEMPLATE_ID})
        response = notify_client().send_email_notification(
            email_address=user.email, template_id=settings.NOTIFY_TEMPLATE_ID, personalisation={})
    log.info("notification email sent to user %s (Notify id %s)", user.pk, (response or {}).get("id", ""))
    return "sent"
