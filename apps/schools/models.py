"""Schools, enrolments, SEN, monthly attendance and exclusions."""

from __future__ import annotations

from django.db import models


def projected_from() -> models.ForeignKey:
    """The source row a school record was projected from: an indicator's supporting record.

    SET_NULL, not CASCADE: when a newer extract replaces the row, the projected record stays
    until the person is projected again (as school records always have); only the link goes.
    """
    return models.ForeignKey(
        "sources.SourceRecord", null=True, blank=True, on_delete=models.SET_NULL,
        help_text="The source row it was projected from; empty once a newer extract replaced that row",
    )


class School(models.Model):
    urn = models.CharField(max_length=10, unique=True, help_text="DfE unique reference number")
    name = models.CharField(max_length=200)
    phase = models.CharField(max_length=40, blank=True)
    is_pupil_referral_unit = models.BooleanField(default=False)
    area = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="enrolments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="enrolments")
    upn = models.CharField(max_length=13)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    dataset = models.ForeignKey("sources.Dataset", on_delete=models.PROTECT)
    source_record = projected_from()

    class Meta:
        indexes = [models.Index(fields=["person", "date_from"]), models.Index(fields=["upn"])]


class SENStatus(models.Model):
    class Status(models.TextChoices):
        NONE = "N", "No special educational needs"
        SUPPORT = "K", "SEN support"
        EHCP = "E", "Education, health and care plan"

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="sen_statuses")
    status = models.CharField(max_length=1, choices=Status.choices)
    sen_type = models.CharField(max_length=10, blank=True, help_text="Primary need, e.g. SEMH, ASD, SLCN")
    recorded_on = models.DateField()
    dataset = models.ForeignKey("sources.Dataset", on_delete=models.PROTECT)
    source_record = projected_from()

    class Meta:
        verbose_name_plural = "SEN statuses"
        indexes = [models.Index(fields=["person", "recorded_on"])]


class AttendanceMonth(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="attendance_months")
    school = models.ForeignKey(School, on_delete=models.PROTECT)
    month = models.DateField(help_text="First day of the month")
    sessions_attended = models.PositiveSmallIntegerField()
    sessions_possible = models.PositiveSmallIntegerField()
    dataset = models.ForeignKey("sources.Dataset", on_delete=models.PROTECT)
    source_record = projected_from()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "school", "month"], name="one_attendance_row_per_month"),
            models.CheckConstraint(
                name="attended_within_possible", condition=models.Q(sessions_attended__lte=models.F("sessions_possible"))
            ),
        ]
        indexes = [models.Index(fields=["person", "month"])]

    @property
    def percentage(self) -> float | None:
        if not self.sessions_possible:
            return None
        return 100.0 * self.sessions_attended / self.sessions_possible


class Exclusion(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", "Fixed-term (suspension)"
        PERMANENT = "permanent", "Permanent"

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="exclusions")
    school = models.ForeignKey(School, on_delete=models.PROTECT)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start_date = models.DateField()
    sessions = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=100, blank=True)
    dataset = models.ForeignKey("sources.Dataset", on_delete=models.PROTECT)
    source_record = projected_from()

    class Meta:
        indexes = [models.Index(fields=["person", "start_date"])]
