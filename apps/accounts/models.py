"""Roles, the sections they may see, and the custodian's access grants.

A user's *effective* roles are computed from grants at request time (see
``apps.accounts.access``): an expired or revoked grant stops working at once,
with no job having to run.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Section(models.Model):
    """A unit of visibility: an indicator category or a group of datasets.

    A role sees a section or does not; what it does not see is not rendered,
    not sent by the API and not hinted at.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A role and what it may do (capabilities) and see (sections).

    Loaded from ``fixtures/reference.json`` ("roles"); editable by an administrator.
    """

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    capabilities = models.JSONField(default=list, help_text="Pages and actions, e.g. case.search, access.manage")
    sections = models.ManyToManyField(Section, blank=True, related_name="roles")
    is_case_role = models.BooleanField(default=False, help_text="Reads person-level case data")
    requires_otp = models.BooleanField(default=False, help_text="Users acting in this role must pass a TOTP check")
    purpose_requires_reference = models.BooleanField(
        default=False, help_text="A search needs a call or referral reference (First Response)"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccessGrantQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(status=AccessGrant.Status.APPROVED, expires_at__gt=at, revoked_at__isnull=True)

    def due_for_review(self, *, within_days: int, at=None):
        at = at or timezone.now()
        return self.active(at).filter(expires_at__lte=at + timezone.timedelta(days=within_days))


class AccessGrant(models.Model):
    """An access request and, once the custodian decides, the grant itself."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        REVOKED = "revoked", "Revoked"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants")
    justification = models.TextField()
    line_manager = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["user", "status", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                name="approved_grant_has_expiry",
                condition=~Q(status="approved") | Q(expires_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} ({self.status})"

    @property
    def is_active(self) -> bool:
        return (
            self.status == self.Status.APPROVED
            and self.revoked_at is None
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )


class Team(models.Model):
    """A team of practitioners and its managers (an early help locality team, a social work team).

    A case belongs to its lead practitioner's team: the team's managers read it and triage for it.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True, help_text="The team's shared inbox, shown to other agencies")
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    is_manager = models.BooleanField(default=False, help_text="Reads and triages the team's cases")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_member")]
