"""Reads for the run page and the clerical review queue."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from apps.people.visibility import restriction_q
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


def _reviewable_by(viewer) -> Q:
    """Pairs neither of whose records belongs to a restricted person closed to the reviewer.

    The restriction half of the one visibility rule (``apps.people.visibility.restriction_q``): a
    restricted person's records stay out of the clerical queue unless the reviewer is named on
    them (or broke the glass); a pair opened by id is then a 404 like any unseen record.
    """
    q = Q()
    for side in ("record_low", "record_high"):
        q &= Q(**{f"{side}__person__isnull": True}) | restriction_q(viewer, kind="person", via=f"{side}__person__")
    return q


def review_pairs(*, viewer):
    """The clerical pairs ``viewer`` may review, most likely matches first."""
    return ClericalPair.objects.filter(_reviewable_by(viewer)).select_related("record_low__dataset", "record_high__dataset")


@dataclass(frozen=True)
class QueuePlace:
    """Where a pair stands in the reviewer's queue: "pair 12 of 186", and which pair comes after it."""

    position: int
    total: int
    next_pk: int | None  # the following pair (the first one after the last), None when it is the only one


def review_place(*, viewer, pair: ClericalPair) -> QueuePlace:
    ids = list(review_pairs(viewer=viewer).values_list("pk", flat=True))
    index = ids.index(pair.pk)
    others = ids[index + 1:] + ids[:index]
    return QueuePlace(position=index + 1, total=len(ids), next_pk=others[0] if others else None)


def review_queue(*, viewer, limit: int = 50):
    """Queued pairs without a decision, most likely matches first."""
    return review_pairs(viewer=viewer)[:limit]


def review_queue_count(*, viewer) -> int:
    return review_pairs(viewer=viewer).count()


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
