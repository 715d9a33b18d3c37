"""Reads of school records, already limited to the datasets the reader may see."""

from __future__ import annotations

from .models import AttendanceMonth, Enrolment, Exclusion, SENStatus


def has_school_record(*, person_id: int, dataset_ids) -> bool:
    """Whether an enrolment, attendance month, exclusion or SEN record from one of ``dataset_ids`` names the person.

    ``dataset_ids`` are the datasets the reader's role may see, so a role without the school section learns nothing.
    """
    dataset_ids = list(dataset_ids)
    return any(
        model.objects.filter(person_id=person_id, dataset_id__in=dataset_ids).exists()
        for model in (Enrolment, AttendanceMonth, Exclusion, SENStatus)
    )
