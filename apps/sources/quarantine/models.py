"""A bad row of an extract kept aside while the good rows loaded (datasets whose ``bad_rows`` is "quarantine").

The row is kept whole: the bytes of the file that made it, line ending included (``raw_line``),
with the file's header (``columns``) and every problem found in it (row, column, reason). The
data quality officer corrects it (validated again like any row, then loaded into its batch) or
discards it with a reason; either way who, when and what changed stay on the row, and the raw
row is kept until the dataset's retention period has passed since the decision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class QuarantinedRow(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a decision"
        CORRECTED = "corrected", "Corrected and loaded"
        DISCARDED = "discarded", "Discarded"
        SUPERSEDED = "superseded", "Superseded by a newer extract"

    batch = models.ForeignKey("sources.ImportBatch", on_delete=models.CASCADE, related_name="quarantined_rows")
    dataset = models.ForeignKey("sources.Dataset", on_delete=models.PROTECT, related_name="quarantined_rows")
    row_number = models.PositiveIntegerField(help_text="Data row in the file: row 1 is the first after the header")
    raw_line = models.BinaryField(help_text="The row's bytes exactly as in the file, line ending included")
    columns = models.JSONField(default=list, help_text="The file's header, as the validator read it")
    problems = models.JSONField(default=list, help_text="Every problem of the row: column and reason")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    # the decision
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.TextField(blank=True, help_text="Why it was discarded, or superseded")
    corrected_values = models.JSONField(default=dict, blank=True, help_text="The row as corrected: column -> value")
    changed_columns = models.JSONField(default=list, blank=True, help_text="Columns the correction changed")
    record = models.ForeignKey(
        "sources.SourceRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantine_corrections",
        help_text="The record the corrected row was loaded as (gone when a newer extract replaces it)",
    )

    class Meta:
        ordering = ["batch_id", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="one_quarantined_row_per_batch_row"),
        ]
        indexes = [models.Index(fields=["status", "dataset"])]

    def __str__(self) -> str:
        return f"{self.dataset_id}: batch {self.batch_id}, row {self.row_number} ({self.status})"

    @property
    def raw_bytes(self) -> bytes:
        return bytes(self.raw_line)
