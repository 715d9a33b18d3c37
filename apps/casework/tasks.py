"""Celery tasks of casework: thin wrappers over services."""

from __future__ import annotations

import logging

from celery import shared_task

from . import notification_services

log = logging.getLogger(__name__)


@shared_task(name="apps.casework.tasks.notification_email_send", bind=True, max_retries=6)
def notification_email_send(self, *, user_id: int, since: str | None = None) -> str:
    """Tell one lead practitioner by email (GOV.UK Notify) that there is something new. A failure is logged and
    retried with a growing delay; the in-app notifications are already committed and are never touched."""
    try:
        return notification_services.notification_email_send(user_id=user_id, since=since)
    except Exception as error:
        log.warning("notification email to user %s failed (attempt %s): %s", user_id, self.request.retries + 1,
                    type(error).__name__)
        raise self.retry(exc=error, countdown=60 * 2 ** self.request.retries) from error
