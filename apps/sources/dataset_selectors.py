"""Reads for the datasets page: the datasets with their definitions, and a dataset's versions (who, when, what)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from .descriptors import descriptor_changes
from .models import Dataset, ImportBatch


def dataset_list():
    return (Dataset.objects.select_related("provider", "section")
            .annotate(loaded=Count("batches", filter=Q(batches__status=ImportBatch.Status.LOADED)))
            .order_by("provider__code", "code"))


def dataset_get(*, code: str) -> Dataset:
    return Dataset.objects.select_related("provider", "section").get(code=code)


@dataclass(frozen=True)
class Version:
    number: int | None
    when: object
    who: str
    changes: list[str]
    reason: str


def dataset_history(*, dataset: Dataset) -> list[Version]:
    """Every version of the definition, newest first: its number, when, by whom and what it changed."""
    records = list(dataset.history.select_related("history_user").order_by("history_date", "history_id"))
    versions, previous = [], {}
    for record in records:
        descriptor = record.descriptor or {}
        changes = descriptor_changes(previous, descriptor) if descriptor != previous else []
        user = record.history_user
        versions.append(Version(number=descriptor.get("version"), when=record.history_date,
                                who=user.get_username() if user else "the system (migrate)",
                                changes=changes, reason=record.history_change_reason or ""))
        previous = descriptor
    return versions[::-1]
