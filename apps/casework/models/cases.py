"""Casework: a case for each family the programme works with, and its consent.

A case moves through the states of ``Case.State`` only by the services in ``services.py`` (each
transition checked, recorded as a ``CaseTransition`` and audited). A family has at most one open
case (a database constraint); closed, declined and deferred cases are kept as its history.

Cases are read through ``Case.objects.visible_to(viewer)`` (``visibility.py``): the family must be
visible to the viewer by the one rule in ``apps.people.visibility``, and the case must be theirs
(lead practitioner), their team's (a manager), or, for the programme manager, past closure.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..visibility import CaseQuerySet


class Case(models.Model):
    class State(models.TextChoices):
        IDENTIFIED = "identified", "Identified"
        TRIAGED = "triaged", "Accepted at triage"
        CONSENT = "consent", "Seeking consent"
        ALLOCATED = "allocated", "Allocated"
        ASSESSED = "assessed", "Assessed"
        PLAN_AGREED = "plan_agreed", "Plan agreed"
        CLOSED = "closed", "Closed"
        OUTCOME_CHECKED = "outcome_checked", "Outcome checked"
        CLAIMED = "claimed", "Claimed"
        DECLINED = "declined", "Declined at triage"
        DEFERRED = "deferred", "Not now"

    OPEN_STATES = (State.IDENTIFIED, State.TRIAGED, State.CONSENT, State.ALLOCATED, State.ASSESSED, State.PLAN_AGREED)

    class CloseReason(models.TextChoices):
        OUTCOMES_MET = "outcomes_met", "Plan completed: outcomes met"
        STEPPED_UP = "stepped_up", "Stepped up to social care"
        STEPPED_DOWN = "stepped_down", "Stepped down to universal services"
        DISENGAGED = "disengaged", "Family disengaged"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
        MOVED_AWAY = "moved_away", "Moved out of the area"
        OTHER = "other", "Other"

    reference = models.CharField(max_length=20, unique=True, help_text="Case reference, e.g. C000123")
    family = models.ForeignKey("people.Family", on_delete=models.PROTECT, related_name="cases")
    framework = models.ForeignKey(
        "indicators.Framework", null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        help_text="The programme framework active when the case was opened; its needs and outcomes apply",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.IDENTIFIED)
    lead_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="lead_cases"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    opened_on = models.DateField()
    allocated_on = models.DateField(null=True, blank=True)
    plan_agreed_on = models.DateField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    outcome_checked_on = models.DateField(null=True, blank=True)
    claimed_on = models.DateField(null=True, blank=True)
    triage_reason = models.TextField(blank=True, help_text="Why declined or not now")
    statutory_basis = models.TextField(
        blank=True, help_text="A statutory duty to share without consent, with its legal basis (seed 003)"
    )
    statutory_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    statutory_recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["family"], condition=Q(state__in=[
                    "identified", "triaged", "consent", "allocated", "assessed", "plan_agreed"]),
                name="one_open_case_per_family",
            ),
        ]
        indexes = [
            models.Index(fields=["lead_practitioner", "state"]),
            models.Index(fields=["team", "state"]),
            models.Index(fields=["state", "closed_on"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class CaseTransition(models.Model):
    """One move of a case from one state to another: who, when, why. Never edited."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=Case.State.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=Case.State.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["to_state", "at"])]


class Consent(models.Model):
    """One family member's consent as recorded at one moment. The newest row per person is in force;
    older rows are its history."""

    class Status(models.TextChoices):
        GIVEN = "given", "Given"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="consents")
    status = models.CharField(max_length=10, choices=Status.choices)
    recorded_on = models.DateField(help_text="When the family member gave, refused or withdrew it")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(help_text="When it was entered")
    partners = models.ManyToManyField(
        "sources.Organisation", blank=True, related_name="+", help_text="Partners the family member agrees we share with"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["case", "person", "recorded_at"])]
