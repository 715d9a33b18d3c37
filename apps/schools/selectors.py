"""Reads of school records, already limited to the people and datasets the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max
from django.http import Http404

from apps.people.models import Person
from apps.people.visibility import get_visible_or_404, persons_as_seen, visible_dataset_ids
from apps.sources.models import SourceRecord

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


@dataclass
class SchoolDetail:
    person: Person
    enrolments: list
    sen: object
    attendance: list
    totals: dict
    exclusions: list
    attendance_validated: bool
    attendance_updated: object


def school_detail(*, viewer, pk: int) -> SchoolDetail:
    person = get_visible_or_404(Person.objects.visible_to(viewer).select_related("current_address"), pk=pk)
    persons_as_seen(viewer, [person])
    if not viewer.sees("school"):  # a page that is all one section: a 404 for roles that do not see it
        raise Http404("Page not found")
    datasets = visible_dataset_ids(viewer)
    enrolments = list(
        Enrolment.objects.filter(person=person, dataset_id__in=datasets).select_related("school").order_by("-date_from")
    )
    sen = SENStatus.objects.filter(person=person, dataset_id__in=datasets).order_by("-recorded_on").first()
    attendance = list(
        AttendanceMonth.objects.filter(person=person, dataset_id__in=datasets).select_related("school", "dataset").order_by("-month")
    )
    attended = sum(a.sessions_attended for a in attendance)
    possible = sum(a.sessions_possible for a in attendance)
    totals = {"attended": attended, "possible": possible, "percentage": (100.0 * attended / possible) if possible else None}
    exclusions = list(
        Exclusion.objects.filter(person=person, dataset_id__in=datasets).select_related("school").order_by("-start_date")
    )
    attendance_dataset = attendance[0].dataset if attendance else None
    updated = (
        SourceRecord.objects.filter(person=person, dataset=attendance_dataset).aggregate(last=Max("batch__finished_at"))["last"]
        if attendance_dataset
        else None
    )
    return SchoolDetail(
        person=person, enrolments=enrolments, sen=sen, attendance=attendance, totals=totals, exclusions=exclusions,
        attendance_validated=attendance_dataset.validated if attendance_dataset else True,
        attendance_updated=updated,
    )
