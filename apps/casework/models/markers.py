"""Police marker requests: add a marker while a family is supported, remove it when the case closes.

Made by receivers of the case signals (``apps.casework.marker_services``): an add request when a case
is allocated (the family engages), a removal when it closes or when consent to share with the police
is withdrawn. A request names the members the police place the marker on: only those whose consent in
force includes the police partner (ASC), or every adult when a statutory basis to share is recorded.
The police partner exports pending requests (CSV, audited) and records their own reference.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MarkerRequest(models.Model):
    class Kind(models.TextChoices):
        ADD = "add", "Add marker"
        REMOVE = "remove", "Remove marker"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        EXPORTED = "exported", "Exported"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Basis(models.TextChoices):
        CONSENT = "consent", "Consent to share with the police"
        STATUTORY = "statutory", "Statutory basis to share"
        REMOVAL = "removal", "Removal of an earlier marker"

    case = models.ForeignKey("casework.Case", on_delete=models.PROTECT, related_name="marker_requests")
    family = models.ForeignKey("people.Family", on_delete=models.PROTECT, related_name="marker_requests")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    persons = models.ManyToManyField("people.Person", related_name="marker_requests",
                                     help_text="The members the marker is placed on or removed from")
    basis = models.CharField(max_length=10, choices=Basis.choices)
    reason = models.CharField(max_length=200, help_text="Why the request was made, e.g. 'Case allocated'")
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="removals",
                                 help_text="For a removal: the add request whose marker it removes")
    created_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    exported_at = models.DateTimeField(null=True, blank=True)
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    police_reference = models.CharField(max_length=60, blank=True, help_text="The reference the police gave")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["case", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"
