"""Reads of police marker requests for the police partner, already filtered for the viewer.

The partner sees requests still to act on (pending, or exported and not yet acknowledged) of families
visible to them by the one rule (``family_q``), and on each only the members visible to them
(``person_q``, with ``persons_as_seen``); a request none of whose members they may see is, for them, no
request. A withdrawn request (consent withdrawn, case closed before export) is never shown: it never left.
"""

from __future__ import annotations

from django.db.models import Prefetch

from apps.people.models import Person
from apps.people.visibility import family_q, person_q, persons_as_seen

from .models import MarkerRequest

OPEN = (MarkerRequest.Status.PENDING, MarkerRequest.Status.EXPORTED)


def marker_requests_for(*, viewer, statuses=OPEN, pk: int | None = None) -> list[MarkerRequest]:
    """Requests the police partner acts on, oldest first, each with ``persons_seen``."""
    found = MarkerRequest.objects.filter(family_q(viewer, via="family__"), status__in=list(statuses))
    if pk is not None:
        found = found.filter(pk=pk)
    rows = list(
        found
        .select_related("family", "case__lead_practitioner", "case__team")
        .prefetch_related(Prefetch("persons", to_attr="persons_seen",
                                   queryset=Person.objects.filter(person_q(viewer)).order_by("surname", "forename", "pk")))
        .order_by("created_at", "id")
    )
    rows = [r for r in rows if r.persons_seen]
    persons_as_seen(viewer, [p for r in rows for p in r.persons_seen])
    return rows


def marker_request_visible_or_none(*, viewer, pk: int) -> MarkerRequest | None:
    return next(iter(marker_requests_for(viewer=viewer, pk=pk)), None)
