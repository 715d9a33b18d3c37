"""Police marker requests: an add when the family engages, a removal when the case closes, consent withdrawal
stopping sharing from that moment, and the police partner's list, CSV export and acknowledgement, each audited."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.casework.models import MarkerRequest
from apps.casework.services import case_close, consent_record
from tests import factories

from .notify_setup import engaged_case

pytestmark = pytest.mark.django_db
R = MarkerRequest


@pytest.fixture
def made(users):
    return factories.family(reference="F008001")


def _requests(case):
    return [(r.kind, r.status, sorted(r.persons.values_list("pk", flat=True))) for r in case.marker_requests.order_by("id")]


def _police(client, users):
    client.force_login(users["police-safeguarding"], backend="django.contrib.auth.backends.ModelBackend")
    return client


def _export(client):
    response = client.post(reverse("casework:markers_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_allocation_with_consent_to_share_with_the_police_requests_a_marker(users, made):
    case = engaged_case(users, made, partners=("ASC", "BCC"))
    assert _requests(case) == [(R.Kind.ADD, R.Status.PENDING, [made["mum"].pk])]
    assert case.marker_requests.get().basis == R.Basis.CONSENT
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MARKER_CHANGE, subject_type="marker_request").exists()


def test_no_marker_is_requested_without_consent_to_share_with_the_police(users, made):
    case = engaged_case(users, made, partners=("BCC",))
    assert _requests(case) == []


def test_a_statutory_basis_requests_a_marker_for_every_adult(users, made):
    case = engaged_case(users, made, statutory="Children Act 1989 s.47 enquiry")
    assert _requests(case) == [(R.Kind.ADD, R.Status.PENDING, [made["mum"].pk])]
    assert case.marker_requests.get().basis == R.Basis.STATUTORY


def test_closing_before_export_withdraws_the_add_and_after_export_requests_removal(client, users, made, make_user):
    case = engaged_case(users, made)
    case_close(case=case, reason="outcomes_met", by=users["key-worker"], on=date(2025, 9, 1))
    assert _requests(case) == [(R.Kind.ADD, R.Status.WITHDRAWN, [made["mum"].pk])]

    other = factories.family(reference="F008002")
    second = engaged_case(users, other)
    _export(_police(client, users))
    case_close(case=second, reason="outcomes_met", by=users["key-worker"], on=date(2025, 9, 1))
    assert _requests(second) == [(R.Kind.ADD, R.Status.EXPORTED, [other["mum"].pk]),
                                 (R.Kind.REMOVE, R.Status.PENDING, [other["mum"].pk])]
    assert second.marker_requests.get(kind=R.Kind.REMOVE).replaces == second.marker_requests.get(kind=R.Kind.ADD)


def test_withdrawing_consent_stops_the_pending_add_at_once(client, users, made):
    case = engaged_case(users, made)
    consent_record(case=case, person=made["mum"], status="withdrawn", recorded_on=date(2025, 3, 20),
                   by=users["key-worker"])

    assert _requests(case) == [(R.Kind.ADD, R.Status.WITHDRAWN, [])]
    assert b"Smith" not in _police(client, users).get(reverse("casework:markers")).content
    assert _export(client) == []


def test_consent_narrowed_to_other_partners_after_export_requests_removal(client, users, made):
    from apps.sources.models import Organisation

    case = engaged_case(users, made)
    _export(_police(client, users))
    consent_record(case=case, person=made["mum"], status="given", recorded_on=date(2025, 3, 20),
                   by=users["key-worker"], partners=Organisation.objects.filter(code="BCC"))

    assert _requests(case) == [(R.Kind.ADD, R.Status.EXPORTED, [made["mum"].pk]),
                               (R.Kind.REMOVE, R.Status.PENDING, [made["mum"].pk])]
    # closing later asks for no second removal of the same marker
    case_close(case=case, reason="consent_withdrawn", by=users["key-worker"], on=date(2025, 4, 1))
    assert case.marker_requests.filter(kind=R.Kind.REMOVE).count() == 1


def test_the_police_partner_sees_what_they_need_to_place_the_marker(client, users, made):
    engaged_case(users, made)
    response = _police(client, users).get(reverse("casework:markers"))
    body = response.content.decode()
    assert response.status_code == 200
    for needed in ("F008001", "Kerry Smith", "1 June 1988", "kw@bristol.example", "North early help", "0117 000 0001"):
        assert needed in body
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.subject_type, event.result_count) == (AuditEvent.Action.VIEW_RECORD, "marker_requests", 1)


@pytest.mark.parametrize("role", ["key-worker", "early-help-manager", "analyst", None])
def test_other_roles_cannot_reach_the_partner_pages(client, users, made, role):
    engaged_case(users, made)
    client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("casework:markers")).status_code == 404
    assert client.post(reverse("casework:markers_export")).status_code == 404
    assert MarkerRequest.objects.get().status == R.Status.PENDING


def test_a_restricted_family_is_not_listed(client, users, made):
    engaged_case(users, made)
    made["family"].is_restricted = True
    made["family"].restriction_reason = "High-profile case"
    made["family"].save()
    body = _police(client, users).get(reverse("casework:markers")).content
    assert b"F008001" not in body and b"Kerry" not in body
    assert _export(client) == []
    assert MarkerRequest.objects.get().status == R.Status.PENDING  # what they could not see did not leave


def test_the_csv_export_is_audited_and_marks_the_requests_exported(client, users, made):
    engaged_case(users, made)
    _police(client, users)
    before = AuditEvent.objects.count()

    rows = _export(client)

    assert [(r["family_reference"], r["surname"], r["forename"], r["date_of_birth"], r["request_type"]) for r in rows] == [
        ("F008001", "Smith", "Kerry", "1988-06-01", "Add marker")]
    new = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.subject_type, e.result_count) for e in new] == [(AuditEvent.Action.EXPORT, "marker_requests", 1)]
    assert str(made["mum"].pk) in [str(i) for i in new[0].record_ids]
    request_row = MarkerRequest.objects.get()
    assert (request_row.status, request_row.exported_by) == (R.Status.EXPORTED, users["police-safeguarding"])
    assert _export(client) == []  # exported once


def test_acknowledgement_records_the_police_reference(client, users, made):
    engaged_case(users, made)
    _export(_police(client, users))
    marker = MarkerRequest.objects.get()
    url = reverse("casework:marker_acknowledge", args=[marker.pk])

    refused = client.post(url, {"police_reference": "  "})
    assert refused.status_code == 400 and b"Enter the police reference" in refused.content
    too_long = client.post(url, {"police_reference": "ASC-" + "9" * 60})  # not cut to fit: refused
    assert too_long.status_code == 400 and b"60 characters" in too_long.content
    marker.refresh_from_db()
    assert marker.status == R.Status.EXPORTED and not marker.police_reference
    assert client.post(url, {"police_reference": "ASC-MK-2025-0042"}).status_code == 302

    marker.refresh_from_db()
    assert (marker.status, marker.police_reference, marker.acknowledged_by) == (
        R.Status.ACKNOWLEDGED, "ASC-MK-2025-0042", users["police-safeguarding"])
    event = AuditEvent.objects.filter(action=AuditEvent.Action.MARKER_CHANGE).order_by("-id").first()
    assert (event.subject_id, event.details["change"]) == (str(marker.pk), "acknowledged")
    assert client.post(url, {"police_reference": "again"}).status_code == 404  # no longer one to act on


def test_a_restricted_member_is_neither_named_nor_exported(client, users, made):
    from apps.people.models import FamilyMembership

    dad = factories.person(forename="Quentin", surname="Smith", dob=date(1986, 2, 14), sex="M", addr=made["home"],
                           is_restricted=True, restriction_reason="Relative of staff")
    factories.source_record(dad, "bcc-housing-tenancies")
    FamilyMembership.objects.create(family=made["family"], person=dad, role="parent", date_from=date(2019, 1, 1))
    case = engaged_case(users, made, statutory="Children Act 1989 s.47 enquiry")
    assert _requests(case) == [(R.Kind.ADD, R.Status.PENDING, sorted([made["mum"].pk, dad.pk]))]

    body = _police(client, users).get(reverse("casework:markers")).content
    assert b"Kerry Smith" in body and b"Quentin" not in body and b"1986" not in body
    rows = _export(client)
    assert [r["forename"] for r in rows] == ["Kerry"]
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).get()
    assert str(dad.pk) not in [str(i) for i in event.record_ids]


def test_consent_to_share_given_after_engagement_requests_a_marker_for_that_adult(users, made):
    from apps.sources.models import Organisation

    case = engaged_case(users, made, partners=("BCC",))
    assert _requests(case) == []
    police = Organisation.objects.filter(code="ASC")
    consent_record(case=case, person=made["mum"], status="given", recorded_on=date(2025, 3, 20),
                   by=users["key-worker"], partners=police)
    consent_record(case=case, person=made["mum"], status="given", recorded_on=date(2025, 3, 21),
                   by=users["key-worker"], partners=police)  # recorded again: still one request
    assert _requests(case) == [(R.Kind.ADD, R.Status.PENDING, [made["mum"].pk])]
