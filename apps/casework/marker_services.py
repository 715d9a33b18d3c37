"""Writes of police marker requests: made by the case signals, exported and acknowledged by the police partner.

* ``markers_on_allocation`` (receiver of ``signals.case_allocated``): the family engages, so an add request
  names the adults the police partner may be told about: those whose consent in force includes the
  police partner (``POLICE_PARTNER``, Avon and Somerset Constabulary), or every adult when a statutory
  basis to share without consent is recorded. No one: no request.
* ``markers_on_closure`` (``signals.case_closed``): an add request still pending is withdrawn (it never
  left); one already exported or acknowledged gets a removal request for the members still marked.
* ``markers_on_consent_change`` (``signals.consent_changed``): consent withdrawn, refused or given without
  the police partner stops sharing from that moment: the member is taken off every pending add request
  (which is withdrawn when no one is left) and, where a request naming them has already left, a removal
  request is made. A statutory basis on the case keeps sharing lawful and changes nothing. An adult who
  agrees to share with the police while the family is engaged gets an add request of their own.

Each runs inside the case service's transaction and records ``marker_change``. ``marker_export`` (CSV,
recorded as ``export``) and ``marker_acknowledge`` are the police partner's.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from .models import Consent, MarkerRequest

POLICE_PARTNER = "ASC"  # sources.Organisation code of the police partner
LEFT = (MarkerRequest.Status.EXPORTED, MarkerRequest.Status.ACKNOWLEDGED)
ENGAGED = ("allocated", "assessed", "plan_agreed")  # the family is engaged: markers are in place


class MarkerError(ValueError):
    """A marker request that cannot change as asked."""


def _audit(request_row: MarkerRequest, *, change: str, by=None, request=None, persons=()) -> None:
    audit_record(action=AuditEvent.Action.MARKER_CHANGE, request=request, user=by, subject_type="marker_request",
                 subject_id=request_row.pk, record_ids=[request_row.family_id, *sorted(persons)],
                 details={"change": change, "kind": request_row.kind, "status": request_row.status,
                          "case": request_row.case_id})


def _create(*, case, kind: str, persons, basis: str, reason: str, replaces=None) -> MarkerRequest:
    row = MarkerRequest.objects.create(case=case, family_id=case.family_id, kind=kind, basis=basis, reason=reason,
                                       replaces=replaces, created_at=timezone.now())
    ids = sorted(p if isinstance(p, int) else p.pk for p in persons)
    row.persons.set(ids)
    _audit(row, change="created", persons=ids)
    return row


def sharing_persons(case) -> tuple[list, str]:
    """The adults the police partner may be told about, and on what basis."""
    from .services import adult_members, consent_in_force

    adults = adult_members(case)
    if case.statutory_basis:
        return adults, MarkerRequest.Basis.STATUTORY
    current = consent_in_force(case)
    shared = [p for p in adults if p.pk in current and current[p.pk].status == Consent.Status.GIVEN
              and any(o.code == POLICE_PARTNER for o in current[p.pk].partners.all())]
    return shared, MarkerRequest.Basis.CONSENT


def _still_marked(add: MarkerRequest) -> set[int]:
    """Members of a request that has left whose marker no removal request covers yet."""
    removed = set(MarkerRequest.objects.filter(replaces=add).exclude(status=MarkerRequest.Status.WITHDRAWN)
                  .values_list("persons", flat=True))
    return set(add.persons.values_list("pk", flat=True)) - removed


def markers_on_allocation(sender=None, *, case, **kwargs) -> MarkerRequest | None:
    persons, basis = sharing_persons(case)
    if not persons:
        return None
    return _create(case=case, kind=MarkerRequest.Kind.ADD, persons=persons, basis=basis, reason="Case allocated")


def _withdraw(row: MarkerRequest, *, reason: str) -> None:
    row.status, row.withdrawn_at, row.withdrawn_reason = MarkerRequest.Status.WITHDRAWN, timezone.now(), reason
    row.save(update_fields=["status", "withdrawn_at", "withdrawn_reason"])
    _audit(row, change="withdrawn")


def markers_on_closure(sender=None, *, case, **kwargs) -> list[MarkerRequest]:
    made = []
    adds = MarkerRequest.objects.select_for_update().filter(case=case, kind=MarkerRequest.Kind.ADD)
    for add in adds.order_by("id"):
        if add.status == MarkerRequest.Status.PENDING:
            _withdraw(add, reason="Case closed before the request was exported")
        elif add.status in LEFT and (marked := _still_marked(add)):
            made.append(_create(case=case, kind=MarkerRequest.Kind.REMOVE, persons=marked,
                                basis=MarkerRequest.Basis.REMOVAL, reason="Case closed", replaces=add))
    return made


def markers_on_consent_change(sender=None, *, case, consent, **kwargs) -> list[MarkerRequest]:
    shares = consent.status == Consent.Status.GIVEN and consent.partners.filter(code=POLICE_PARTNER).exists()
    if shares:
        return _consent_given_while_engaged(case, consent.person_id)
    if case.statutory_basis:
        return []
    person_id, made = consent.person_id, []
    adds = MarkerRequest.objects.select_for_update().filter(case=case, kind=MarkerRequest.Kind.ADD, persons=person_id)
    for add in adds.order_by("id"):
        if add.status == MarkerRequest.Status.PENDING:
            add.persons.remove(person_id)
            _audit(add, change="member taken off: consent to share with the police not in force", persons=[person_id])
            if not add.persons.exists():
                _withdraw(add, reason="Consent to share with the police withdrawn")
        elif add.status in LEFT and person_id in _still_marked(add):
            made.append(_create(case=case, kind=MarkerRequest.Kind.REMOVE, persons=[person_id],
                                basis=MarkerRequest.Basis.REMOVAL, reason="Consent to share with the police withdrawn",
                                replaces=add))
    return made


def _consent_given_while_engaged(case, person_id: int) -> list[MarkerRequest]:
    """An adult who agrees to share with the police after the family engaged: an add request for them, unless a
    request not withdrawn names them already (pending, or left and not removed since)."""
    from .services import adult_members

    if case.state not in ENGAGED or person_id not in {p.pk for p in adult_members(case)}:
        return []
    named = MarkerRequest.objects.filter(case=case, kind=MarkerRequest.Kind.ADD, persons=person_id).exclude(
        status=MarkerRequest.Status.WITHDRAWN)
    if any(add.status == MarkerRequest.Status.PENDING or person_id in _still_marked(add) for add in named):
        return []
    return [_create(case=case, kind=MarkerRequest.Kind.ADD, persons=[person_id], basis=MarkerRequest.Basis.CONSENT,
                    reason="Consent to share with the police given")]


@transaction.atomic
def marker_export(*, requests, by, request=None) -> list[MarkerRequest]:
    """Mark these pending requests (as the police partner sees them) exported, recorded as one ``export``."""
    ids = [r.pk for r in requests]
    locked = list(MarkerRequest.objects.select_for_update().filter(pk__in=ids, status=MarkerRequest.Status.PENDING))
    now = timezone.now()
    MarkerRequest.objects.filter(pk__in=[r.pk for r in locked]).update(
        status=MarkerRequest.Status.EXPORTED, exported_at=now, exported_by=by)
    persons = sorted({p.pk for r in requests for p in r.persons_seen})
    audit_record(action=AuditEvent.Action.EXPORT, request=request, user=by, subject_type="marker_requests",
                 record_ids=persons, result_count=len(locked),
                 details={"format": "csv", "requests": sorted(r.pk for r in locked)})
    return locked


@transaction.atomic
def marker_acknowledge(*, marker: MarkerRequest, police_reference: str, by, request=None) -> MarkerRequest:
    """The police partner has placed (or removed) the marker: their reference is recorded."""
    reference = police_reference.strip()
    if not reference:
        raise MarkerError("Enter the police reference for this marker")
    if len(reference) > 60:
        raise MarkerError("Enter a police reference of 60 characters or fewer")
    marker = MarkerRequest.objects.select_for_update().get(pk=marker.pk)
    if marker.status != MarkerRequest.Status.EXPORTED:
        raise MarkerError(f"This request is {marker.get_status_display().lower()}: only an exported request is acknowledged")
    marker.status, marker.acknowledged_at, marker.acknowledged_by = MarkerRequest.Status.ACKNOWLEDGED, timezone.now(), by
    marker.police_reference = reference
    marker.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "police_reference"])
    _audit(marker, change="acknowledged", by=by, request=request)
    return marker
