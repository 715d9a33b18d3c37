"""Reads of incident notifications, already filtered for the viewer as they may see things now.

A notification is shown (and counted) only when, today, all of this holds for its reader:

* it was made for them and its case is visible to them (``Case.objects.visible_to``: the family by the
  one rule, and they lead it);
* the person it is about is visible to them (``person_q``: not restricted from them, known to a dataset
  their role sees);
* the fact's section is one their role sees, and so is its dataset;
* the fact still exists (a record rectified or disposed of since is not announced), and a risk flag is one
  the reader would be shown (``apps.indicators.selectors.risk_scores_for``: every input section seen,
  recomputed without anyone hidden from them).

Anything else is as if the notification did not exist: not listed, not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q

from apps.people.visibility import person_q, persons_as_seen, sections_q, visible_dataset_ids

from .models import Notification
from .visibility import case_q


@dataclass
class NotificationList:
    items: list[Notification]
    unread: int


def _fact_exists_q() -> Q:
    from apps.indicators.models import PersonIndicator
    from apps.schools.models import Exclusion

    indicator = PersonIndicator.objects.filter(person_id=OuterRef("person_id"), definition_id=OuterRef("definition_id"),
                                               indicator_date=OuterRef("occurred_on"))
    exclusion = Exclusion.objects.filter(person_id=OuterRef("person_id"), start_date=OuterRef("occurred_on"))
    return (Q(record_type=Notification.RecordType.INDICATOR) & Q(Exists(indicator))) | (
        Q(record_type=Notification.RecordType.EXCLUSION) & Q(Exists(exclusion)))


def _visible(viewer):
    datasets = sorted(visible_dataset_ids(viewer))
    return (
        Notification.objects.filter(recipient=viewer.user)
        .filter(case_q(viewer, via="case__"))
        .filter(person_q(viewer, via="person__"))
        .filter(sections_q(viewer, path="section_code"))
        .filter(Q(dataset__isnull=True) | Q(dataset_id__in=datasets))
        .filter(_fact_exists_q())
    )


def _risk_shown(viewer, notifications) -> set[int]:
    """Ids of the risk-flag notifications whose flag the reader would be shown today."""
    from apps.indicators.selectors import risk_scores_for

    risky = [n for n in notifications if n.kind == Notification.Kind.RISK_FLAG]
    if not risky:
        return set()
    shown = {(s.person_id, s.definition_id) for s in risk_scores_for(viewer=viewer, person_ids={n.person_id for n in risky})}
    return {n.pk for n in risky if (n.person_id, n.definition_id) in shown}


def notifications_for(*, viewer, unread_only: bool = False, limit: int | None = None) -> NotificationList:
    """The viewer's notifications they may see now, unread first then newest, and how many are unread."""
    found = _visible(viewer)
    if unread_only:
        found = found.filter(read_at__isnull=True)
    rows = list(found.select_related("case__family", "person", "definition").order_by(
        F("read_at").asc(nulls_first=True), "-occurred_on", "-id"))
    risk_ok = _risk_shown(viewer, rows)
    rows = [n for n in rows if n.kind != Notification.Kind.RISK_FLAG or n.pk in risk_ok]
    persons_as_seen(viewer, [n.person for n in rows])
    unread = sum(1 for n in rows if n.read_at is None)
    return NotificationList(items=rows[:limit] if limit else rows, unread=unread)


def notification_visible_or_none(*, viewer, pk: int) -> Notification | None:
    """One of the viewer's notifications, if they may see it now."""
    found = list(_visible(viewer).filter(pk=pk).select_related("person"))
    if found and found[0].kind == Notification.Kind.RISK_FLAG and found[0].pk not in _risk_shown(viewer, found):
        return None
    return found[0] if found else None
