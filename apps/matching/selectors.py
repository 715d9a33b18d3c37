"""Reads for the run page and the clerical review queue."""

from __future__ import annotations

from dataclasses import dataclass

from apps.sources.models import SourceRecord

from .models import ClericalPair, MatchRun

COMPARED_FIELDS = (
    ("forename", "Forename"),
    ("surname", "Surname"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("address", "Address"),
    ("postcode", "Postcode"),
    ("uprn", "UPRN"),
    ("nhs_number", "NHS number"),
    ("upn", "Unique pupil number"),
    ("ni_number", "National Insurance number"),
    ("dataset", "Source"),
)


@dataclass(frozen=True)
class FieldComparison:
    label: str
    left: str
    right: str

    @property
    def state(self) -> str:
        """"agree", "differ" or "missing" (blank on either side)."""
        if not self.left or not self.right:
            return "missing"
        return "agree" if self.left.casefold() == self.right.casefold() else "differ"


def match_runs(limit: int = 20):
    return MatchRun.objects.select_related("dataset", "started_by")[:limit]


def review_queue(limit: int = 50):
    """Queued pairs without a decision, most likely matches first."""
    return ClericalPair.objects.select_related("record_low__dataset", "record_high__dataset")[:limit]


def review_queue_count() -> int:
    return ClericalPair.objects.count()


def _value(record: SourceRecord, field: str) -> str:
    if field == "address":
        return str((record.raw or {}).get("address") or "")
    if field == "dataset":
        return record.dataset.name
    value = getattr(record, field)
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value or "")


def pair_comparison(pair: ClericalPair) -> list[FieldComparison]:
    """The two records side by side, field by field; the source row is compared as sent."""
    left, right = pair.record_low, pair.record_high
    return [FieldComparison(label, _value(left, f), _value(right, f)) for f, label in COMPARED_FIELDS]
