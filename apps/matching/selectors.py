"""Reads for the run page and the clerical review queue."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from apps.accounts.access import visible_persons
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


def _reviewable_by(user) -> Q:
    """Pairs neither of whose records belongs to a restricted person the reviewer is not named on.

    Restricted records (staff and their relatives, high-profile cases) stay out of the clerical
    queue for everyone else; a pair opened by id is then a 404 like any unseen record.
    """
    q = Q()
    for side in ("record_low", "record_high"):
        q &= (
            Q(**{f"{side}__person__isnull": True})
            | Q(**{f"{side}__person__is_restricted": False})
            | Q(**{f"{side}__person__named_users__user": user})
        )
    return q


def review_pairs(*, user):
    """The clerical pairs ``user`` may review, most likely matches first."""
    return ClericalPair.objects.filter(_reviewable_by(user)).select_related("record_low__dataset", "record_high__dataset")


def review_queue(*, user, limit: int = 50):
    """Queued pairs without a decision, most likely matches first."""
    return review_pairs(user=user)[:limit]


def review_queue_count(*, user) -> int:
    return review_pairs(user=user).count()


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


def family_lead_professional(*, family, user, request=None, access) -> str:
    """The lead professional a reader may see for ``family``: "" when none (pages say "None assigned").

    Projection keeps every open early-help episode of the family's members in
    ``Family.lead_professionals``, most recent first. The reader gets the first
    one whose section (the early-help dataset's) their role sees and whose person
    they may see (a restricted member's episode only for users named on them or
    who broke the glass), so the answer is the one they would get if what they
    may not see did not exist. ``access`` is ``apps.accounts.access.access_for(user, request)``.
    """
    entries = [e for e in family.lead_professionals or () if access.sees(e.get("section"))]
    if not entries:
        return ""
    visible = set(
        visible_persons(user, request).filter(pk__in={e["person"] for e in entries}).values_list("pk", flat=True)
    )
    return next((e["name"] for e in entries if e["person"] in visible), "")
