"""The team around the family: people from other agencies added by hand to a case, with how to reach them.

Involvement derived from the data (open to social care, YOT, school...) is not stored here: it is read
from the records by ``apps.caseview.involvement``. These are the people the practitioner knows of and
adds themselves: a health visitor, a school's designated safeguarding lead, a housing officer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TeamMember(models.Model):
    """One professional working with the family on this case, from ``date_from`` until ``date_to`` (open: now)."""

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="team_members")
    name = models.CharField(max_length=200)
    agency = models.CharField(max_length=200, help_text="Their agency or service, e.g. 'Bristol Community Health'")
    organisation = models.ForeignKey(
        "sources.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The partner organisation, where it is one of ours",
    )
    role = models.CharField(max_length=200, help_text="e.g. 'Health visitor', 'Designated safeguarding lead'")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    date_from = models.DateField()
    date_to = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["-date_from", "name", "id"]
        indexes = [models.Index(fields=["case", "date_to"])]
        constraints = [models.CheckConstraint(
            condition=models.Q(date_to__isnull=True) | models.Q(date_to__gte=models.F("date_from")),
            name="team_member_dates_in_order")]

    def __str__(self) -> str:
        return f"{self.name} ({self.role}, {self.agency})"

    def is_current(self, on) -> bool:
        return self.date_from <= on and (self.date_to is None or self.date_to >= on)
