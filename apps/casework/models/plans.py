"""The whole-family assessment and outcome plan (one ``CaseNeed`` per need confirmed), and results claims."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CaseNeed(models.Model):
    """A need of the framework confirmed for a family at assessment, with the outcome that will show it met.

    ``evidence_source`` says how the need was evidenced: from the data (``evidence`` lists the indicator
    records: person, indicator, date, dataset) or by the practitioner (a note and a date). The outcome is
    measured by ``outcome_measure`` (a measure of ``apps.casework.measures`` with ``outcome_params``, or
    ``practitioner``); the refresh writes ``outcome_status`` and, once the case has been closed long
    enough, whether it was sustained, with ``outcome_evidence`` (rule, records, dates) an auditor can check.
    """

    class EvidenceSource(models.TextChoices):
        DATA = "data", "From the data"
        PRACTITIONER = "practitioner", "By the practitioner"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Not yet measured"
        PROGRESSING = "progressing", "Being met"
        NOT_MET = "not_met", "Not met"
        ACHIEVED = "achieved", "Achieved"

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="needs")
    need = models.ForeignKey("indicators.FrameworkNeed", on_delete=models.PROTECT, related_name="+")
    persons = models.ManyToManyField("people.Person", related_name="+", help_text="The members the need concerns")
    evidence_source = models.CharField(max_length=12, choices=EvidenceSource.choices)
    evidence = models.JSONField(default=list, blank=True, help_text="Records evidencing the need (data)")
    evidence_note = models.TextField(blank=True, help_text="The practitioner's evidence")
    evidence_date = models.DateField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()
    outcome_measure = models.SlugField(max_length=40)
    outcome_params = models.JSONField(default=dict, blank=True)
    outcome_text = models.CharField(max_length=300)
    outcome_status = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_note = models.TextField(blank=True, help_text="Practitioner-evidenced outcome: what shows it met")
    outcome_date = models.DateField(null=True, blank=True)
    outcome_evidence = models.JSONField(default=dict, blank=True, help_text="Rule, window, records and dates")
    outcome_checked_at = models.DateTimeField(null=True, blank=True)
    sustained = models.BooleanField(null=True, blank=True, help_text="Decided once the case has been closed long enough")
    override_reason = models.TextField(blank=True, help_text="A manager's discretionary override, with its reason")
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    override_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "need__headline__order", "need__order"]
        constraints = [models.UniqueConstraint(fields=["case", "need"], name="unique_case_need")]

    @property
    def is_met(self) -> bool:
        """Met for a claim: achieved and sustained by the data or rule, or overridden by a manager with a reason."""
        return bool(self.override_reason) or (self.outcome_status == self.Outcome.ACHIEVED and self.sustained is True)


class Claim(models.Model):
    """A results claim for one case, submitted (recorded) by the programme manager with its evidence pack."""

    case = models.OneToOneField("casework.Case", on_delete=models.PROTECT, related_name="claim")
    quarter = models.CharField(max_length=7, help_text="The return it is part of, e.g. 2026-Q3")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    evidence = models.JSONField(default=dict, help_text="The evidence pack as it was when submitted")

    class Meta:
        ordering = ["-submitted_at"]
