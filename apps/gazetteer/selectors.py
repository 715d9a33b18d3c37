"""Reads: the current gazetteer, resolutions for the projection, and the data quality officer's queue."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.people.visibility import restriction_q
from apps.sources.models import SourceRecord

from .models import AddressResolution, GazetteerAddress, GazetteerVersion

QUEUE_PAGE = 50


def gazetteer_current() -> GazetteerVersion | None:
    return GazetteerVersion.objects.filter(is_current=True).first()


def gazetteer_versions() -> QuerySet[GazetteerVersion]:
    return GazetteerVersion.objects.select_related("imported_by").order_by("-imported_at", "-id")


def usable_uprns(address_keys) -> dict[str, str]:
    """{address key: UPRN} for the keys whose resolution may be used (resolved, or decided on a UPRN)."""
    found: dict[str, str] = {}
    keys = list(address_keys)
    for start in range(0, len(keys), 5000):
        rows = AddressResolution.objects.filter(address_key__in=keys[start:start + 5000],
                                                status__in=AddressResolution.USABLE).exclude(uprn="")
        found.update(rows.values_list("address_key", "uprn"))
    return found


def gazetteer_entries(uprns) -> dict[str, GazetteerAddress]:
    """The current gazetteer's entries for ``uprns`` (those it has)."""
    found: dict[str, GazetteerAddress] = {}
    wanted = list(uprns)
    for start in range(0, len(wanted), 5000):
        found.update((a.uprn, a) for a in GazetteerAddress.objects.filter(version__is_current=True,
                                                                           uprn__in=wanted[start:start + 5000]))
    return found


def gazetteer_children(uprns) -> dict[str, set[str]]:
    """{parent UPRN: its flats' UPRNs} for those of ``uprns`` that are buildings with flats in the current gazetteer."""
    found: dict[str, set[str]] = {}
    wanted = list(uprns)
    for start in range(0, len(wanted), 5000):
        rows = GazetteerAddress.objects.filter(version__is_current=True, parent_uprn__in=wanted[start:start + 5000])
        for parent, uprn in rows.values_list("parent_uprn", "uprn"):
            found.setdefault(parent, set()).add(uprn)
    return found


def _not_hidden(viewer) -> QuerySet[AddressResolution]:
    """Resolutions of addresses sent by a record the viewer may see (the restriction half of the one visibility
    rule, as the clerical queue applies it). An address only a restricted person's records send is not shown; one
    that someone else also sends is shown exactly as if the restricted person did not exist (non-interference), and
    an address no record sends any more is not asked about."""
    open_to_viewer = Q(person__isnull=True) | restriction_q(viewer, kind="person", via="person__")
    return AddressResolution.objects.filter(address_key__in=SourceRecord.objects.filter(open_to_viewer)
                                            .values("address_key"))


def review_queue(*, viewer) -> QuerySet[AddressResolution]:
    """Addresses waiting for the data quality officer, lowest score first."""
    return _not_hidden(viewer).filter(status=AddressResolution.Status.REVIEW).order_by("score", "pk")


def review_queue_count(*, viewer) -> int:
    return review_queue(viewer=viewer).count()


def resolution_with_candidates(*, viewer, pk: int) -> tuple[AddressResolution, list[dict]] | None:
    """One resolution and its candidates as the gazetteer spells them: [{uprn, score, address}], best first."""
    resolution = _not_hidden(viewer).filter(pk=pk).first()
    if resolution is None:
        return None
    uprns = [c["uprn"] for c in resolution.candidates]
    if resolution.uprn and resolution.uprn not in uprns:
        uprns.insert(0, resolution.uprn)
    entries = gazetteer_entries(uprns)
    scores = {c["uprn"]: c["score"] for c in resolution.candidates}
    candidates = [{"uprn": u, "score": scores.get(u), "address": entries[u].one_line} for u in uprns if u in entries]
    return resolution, candidates


def review_next(*, viewer, after: AddressResolution) -> AddressResolution | None:
    """The next address in the queue after ``after`` (the lowest score first), or the first one."""
    queue = review_queue(viewer=viewer).exclude(pk=after.pk)
    later = queue.filter(score__gt=after.score).first() or queue.filter(score=after.score, pk__gt=after.pk).first()
    return later or queue.first()
