"""Incident notifications: a new record about a member of an open case, for its lead practitioner.

Made by the refresh (``apps.casework.notification_services.notifications_after_refresh``, a receiver of
``apps.indicators.signals.refresh_rebuilt``), so they commit or roll back with it. One row per case,
recipient, person and fact (``fact_key``, a key that survives re-projection: the indicator's code and
date, an exclusion's start, a risk model's code and the refresh's date): a refresh run again makes none
twice. What the row names (``section_code``, ``dataset``, ``definition``) is what the reader's role
and the visibility rule are checked against each time it is shown (``notification_selectors``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    class Kind(models.TextChoices):
        POLICE_INCIDENT = "police_incident", "Police incident"
        DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
        MISSING = "missing_episode", "Missing episode"
        EXCLUSION = "exclusion", "Exclusion from school"
        RISK_FLAG = "risk_flag", "New risk flag"
        OTHER = "other", "Other new record"

    class RecordType(models.TextChoices):
        INDICATOR = "indicator", "Indicator"
        EXCLUSION = "exclusion", "Exclusion"

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=10, choices=RecordType.choices)
    record_id = models.BigIntegerField(help_text="PersonIndicator or Exclusion id when the notification was made")
    definition = models.ForeignKey("indicators.IndicatorDefinition", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    dataset = models.ForeignKey("sources.Dataset", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    section_code = models.SlugField(max_length=40, help_text="The section the fact belongs to")
    fact_key = models.CharField(max_length=120, help_text="What the fact is, stable across re-projection")
    occurred_on = models.DateField()
    refresh_run = models.ForeignKey("indicators.RefreshRun", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "recipient", "person", "fact_key"], name="one_notification_per_fact"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.case_id})"
