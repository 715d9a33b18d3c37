"""Family progress data: each member's circumstances, from the indicators, at the start and at closure."""

from __future__ import annotations

from django.db import models


class ProgressSnapshot(models.Model):
    """One member's circumstances when the case was allocated (start) or closed (close). Never edited.

    ``data`` (written by ``apps.casework.progress``) holds what the indicators, school records and
    risk scores said that day; every item carries the section it comes from, so a page shows a reader
    only the items of sections their role sees (docs/casework.md, "Progress data and the pre-visit pack").
    """

    class Stage(models.TextChoices):
        START = "start", "At allocation"
        CLOSE = "close", "At closure"

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="progress_snapshots")
    stage = models.CharField(max_length=5, choices=Stage.choices)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    taken_on = models.DateField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "person_id", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["case", "stage", "person"], name="unique_progress_snapshot"),
        ]
