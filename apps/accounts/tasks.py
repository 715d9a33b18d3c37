from celery import shared_task

from .services import access_grants_record_expiry


@shared_task
def expire_grants_task() -> int:
    return access_grants_record_expiry()
