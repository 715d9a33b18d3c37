"""The council's Local Land and Property Gazetteer (BS7666) and what each address sent resolved to.

* ``GazetteerVersion``: one imported gazetteer file. Exactly one is current; importing a new one
  replaces the old in one transaction (``services.gazetteer_import``).
* ``GazetteerAddress``: one property (a UPRN) of a version, as the gazetteer spells it, with its
  parent (the building a flat is in) and the comparable parts the matcher uses (``keys``).
* ``AddressResolution``: one distinct address the agencies sent (``SourceRecord.address_key``),
  the UPRN it resolved to with a score, how, and the data quality officer's decision if any.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class GazetteerVersion(models.Model):
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    filename = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file")
    rows = models.IntegerField(default=0)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True),
                                               name="gazetteer_one_current_version")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows} properties)"


class GazetteerAddress(models.Model):
    """One property (BS7666 basic land and property unit) as the gazetteer spells it."""

    version = models.ForeignKey(GazetteerVersion, on_delete=models.CASCADE, related_name="addresses")
    uprn = models.CharField(max_length=12)
    parent_uprn = models.CharField(max_length=12, blank=True, help_text="The building a flat is in")
    sub_building = models.CharField(max_length=100, blank=True, help_text="Secondary addressable object: Flat 4A")
    building_name = models.CharField(max_length=100, blank=True)
    building_number = models.CharField(max_length=20, blank=True)
    street = models.CharField(max_length=150)
    locality = models.CharField(max_length=100, blank=True)
    town = models.CharField(max_length=100)
    postcode = models.CharField(max_length=8, blank=True)
    easting = models.FloatField(null=True, blank=True)
    northing = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "uprn"], name="gazetteer_uprn_unique_per_version")]
        indexes = [models.Index(fields=["uprn"]), models.Index(fields=["parent_uprn"])]

    def __str__(self) -> str:
        return self.one_line

    @property
    def one_line(self) -> str:
        number_street = " ".join(p for p in (self.building_number, self.street) if p)
        parts = [self.sub_building, self.building_name, number_street, self.locality, self.town, self.postcode]
        return ", ".join(p for p in parts if p)


class AddressResolution(models.Model):
    """What one distinct address sent by the agencies resolved to."""

    class Method(models.TextChoices):
        EXACT = "exact", "Exact match"
        FUZZY = "fuzzy", "Scored match"
        OFFICER = "officer", "Chosen by the data quality officer"
        NONE = "none", "No candidate"

    class Status(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        REVIEW = "review", "Waiting for the data quality officer"
        ACCEPTED = "accepted", "Accepted by the data quality officer"
        CORRECTED = "corrected", "Another UPRN chosen by the data quality officer"
        UNRESOLVED = "unresolved", "Unresolved (kept as sent)"
        UNRESOLVABLE = "unresolvable", "Marked unresolvable by the data quality officer"

    USABLE = (Status.RESOLVED, Status.ACCEPTED, Status.CORRECTED)  # a UPRN households may be formed on
    DECIDED = (Status.ACCEPTED, Status.CORRECTED, Status.UNRESOLVABLE)

    address_key = models.CharField(max_length=200, unique=True, help_text="SourceRecord.address_key")
    address_line = models.CharField(max_length=300, blank=True, help_text="One spelling as sent")
    postcode = models.CharField(max_length=8, blank=True, help_text="As sent (normalised)")
    uprn = models.CharField(max_length=12, blank=True, help_text="Best candidate; used only when the status is usable")
    score = models.FloatField(null=True, blank=True, help_text="0 to 1")
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=12, choices=Status.choices, db_index=True)
    candidates = models.JSONField(default=list, blank=True, help_text="[{uprn, score}], best first")
    version = models.ForeignKey(GazetteerVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(auto_now=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "score"])]

    def __str__(self) -> str:
        return f"{self.address_line} -> {self.uprn or 'unresolved'}"

    @property
    def usable_uprn(self) -> str:
        return self.uprn if self.status in self.USABLE else ""
