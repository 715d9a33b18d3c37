"""Reviewer pages: filters, who-looked, activity, alerts, CSV export; audited; 404 for every other role."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import Alert, AuditEvent
from apps.audit.services import audit_record
from tests.conftest import ROLE_SLUGS

pytestmark = pytest.mark.django_db

REVIEWER = "audit-reviewer"


@pytest.fixture
def activity(users, record_at):
    """Two case workers' reads on known days."""
    kw, sw = users["key-worker"], users["social-worker"]
    now = timezone.now()
    return {
        "kw_person_1": record_at(now - timedelta(days=3), action=AuditEvent.Action.VIEW_PERSON, user=kw,
                                 subject_type="person", subject_id=1),
        "sw_person_1": record_at(now - timedelta(days=1), action=AuditEvent.Action.VIEW_PERSON, user=sw,
                                 subject_type="person", subject_id=1),
        "kw_family_9": record_at(now - timedelta(days=1), action=AuditEvent.Action.VIEW_FAMILY, user=kw,
                                 subject_type="family", subject_id=9),
        "kw_search": record_at(now, action=AuditEvent.Action.SEARCH, user=kw, subject_type="search",
                               details={"terms": "smith"}, result_count=0),
    }


def _listed_ids(response) -> set[int]:
    return {event.pk for event in response.context["page"].object_list}


def _pages(user_id: int, alert_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("audit:events")),
        ("get", reverse("audit:export_csv")),
        ("get", reverse("audit:subject", args=["person", "1"])),
        ("get", reverse("audit:user_activity", args=[user_id])),
        ("get", reverse("audit:alerts")),
        ("get", reverse("audit:alert", args=[alert_id])),
        ("post", reverse("audit:alert", args=[alert_id])),
        ("post", reverse("audit:alerts_compute")),
    ]


@pytest.mark.parametrize("role", [r for r in ROLE_SLUGS if r != REVIEWER] + [None])
def test_every_reviewer_page_is_404_for_every_other_role(client_as, users, activity, role):
    alert = Alert.objects.create(kind=Alert.Kind.BREAK_GLASS, dedupe_key="x", raised_at=timezone.now(),
                                 occurred_at=timezone.now(), summary="test")
    client = client_as(role)
    for method, url in _pages(users["key-worker"].pk, alert.pk):
        response = getattr(client, method)(url, {"note": "looked"} if method == "post" else None)
        assert response.status_code == 404, (role, url)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get(reverse("audit:events"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"username": "key_worker"}, {"kw_person_1", "kw_family_9", "kw_search"}),
        ({"action": "view_person"}, {"kw_person_1", "sw_person_1"}),
        ({"subject_type": "person", "subject_id": "1"}, {"kw_person_1", "sw_person_1"}),
        ({"subject_type": "family", "subject_id": "9"}, {"kw_family_9"}),
        ({"username": "key_worker", "action": "view_person"}, {"kw_person_1"}),
    ],
)
def test_events_filter(client_as, activity, params, expected):
    response = client_as(REVIEWER).get(reverse("audit:events"), params)
    assert response.status_code == 200
    assert _listed_ids(response) == {activity[k].pk for k in expected}


def test_events_filter_by_date_range_is_inclusive_of_local_days(client_as, activity):
    day = timezone.localtime(activity["sw_person_1"].occurred_at).date()
    response = client_as(REVIEWER).get(reverse("audit:events"), {"date_from": day, "date_to": day})
    assert _listed_ids(response) == {activity["sw_person_1"].pk, activity["kw_family_9"].pk}


def test_a_reversed_date_range_is_an_error_and_runs_no_query(client_as, activity):
    client = client_as(REVIEWER)
    before = AuditEvent.objects.count()
    response = client.get(reverse("audit:events"), {"date_from": "2026-02-02", "date_to": "2026-02-01"})
    assert response.status_code == 200
    assert "The end date must be the same as or after the start date." in response.content.decode()
    assert response.context["page"] is None
    assert AuditEvent.objects.count() == before


def test_each_query_is_itself_audited_with_its_filters(client_as, users, activity):
    client_as(REVIEWER).get(reverse("audit:events"), {"username": "key_worker", "action": "search"})
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == AuditEvent.Action.AUDIT_QUERY
    assert event.user_id_snapshot == users[REVIEWER].pk and event.role == REVIEWER
    assert event.details["filters"] == {"username": "key_worker", "action": "search"}
    assert event.result_count == 1


def test_who_has_looked_at_a_person(client_as, users, activity):
    response = client_as(REVIEWER).get(reverse("audit:subject", args=["person", "1"]))
    viewers = {v["username"]: v["events"] for v in response.context["viewers"]}
    assert viewers == {"key_worker": 1, "social_worker": 1}
    assert _listed_ids(response) == {activity["kw_person_1"].pk, activity["sw_person_1"].pk}
    recorded = AuditEvent.objects.order_by("-id").first()
    assert recorded.action == "audit_query"
    assert (recorded.details["subject_type"], recorded.details["subject_id"]) == ("person", "1")
    # a reviewer reading the audit trail is not someone looking at the person
    assert recorded.subject_type == "audit"


def test_who_has_looked_only_for_people_and_families(client_as):
    assert client_as(REVIEWER).get(reverse("audit:subject", args=["batch", "1"])).status_code == 404


def test_user_activity_counts_per_day(client_as, users, activity):
    kw = users["key-worker"]
    today = timezone.localdate()
    response = client_as(REVIEWER).get(
        reverse("audit:user_activity", args=[kw.pk]), {"date_from": today - timedelta(days=4), "date_to": today}
    )
    per_day = dict(response.context["days"])
    assert len(per_day) == 5
    expected = {timezone.localtime(e.occurred_at).date() for k, e in activity.items() if k.startswith("kw")}
    assert sum(per_day.values()) == 3
    assert {d for d, n in per_day.items() if n} == expected
    assert _listed_ids(response) == {activity[k].pk for k in ("kw_person_1", "kw_family_9", "kw_search")}


def test_user_activity_of_an_unknown_user_is_404(client_as):
    assert client_as(REVIEWER).get(reverse("audit:user_activity", args=[987654])).status_code == 404


def test_csv_export_is_streamed_filtered_and_audited(client_as, users, activity):
    audit_record(action=AuditEvent.Action.SEARCH, user=users["key-worker"], details={"terms": "=HYPERLINK(1)"})
    response = client_as(REVIEWER).get(reverse("audit:export_csv"), {"username": "key_worker"})
    assert response.status_code == 200 and response.streaming
    export = AuditEvent.objects.get(action=AuditEvent.Action.AUDIT_EXPORT)  # recorded before any row is sent
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["username"] for r in rows} == {"key_worker"}
    assert len(rows) == 4 == export.result_count
    assert export.details == {"format": "csv", "of": "audit_events", "filters": {"username": "key_worker"}}
    assert export.user_id_snapshot == users[REVIEWER].pk


def test_csv_cells_cannot_run_as_formulas(client_as, users):
    audit_record(action=AuditEvent.Action.LOGIN_FAILED, details={"username": "=cmd|' /C calc'!A0"})
    response = client_as(REVIEWER).get(reverse("audit:export_csv"), {"action": "login_failed"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["username"].startswith("'=")


def test_events_are_paginated(client_as, users):
    for i in range(55):
        audit_record(action=AuditEvent.Action.SEARCH, user=users["key-worker"], details={"i": i})
    client = client_as(REVIEWER)
    first = client.get(reverse("audit:events"), {"action": "search"})
    second = client.get(reverse("audit:events"), {"action": "search", "page": 2})
    assert len(first.context["page"].object_list) == 50 and len(second.context["page"].object_list) == 5
    assert 'class="govuk-pagination"' in first.content.decode()
    assert "action=search&amp;page=2" in first.content.decode()
    assert not _listed_ids(first) & _listed_ids(second)


def test_an_alert_is_listed_at_once_and_reviewed_with_a_note(client_as, users, record_at):
    kw = users["key-worker"]
    glass = audit_record(action=AuditEvent.Action.BREAK_GLASS, user=kw, subject_type="person", subject_id=5,
                         purpose="Urgent safeguarding call")
    client = client_as(REVIEWER)
    alert = Alert.objects.get(kind=Alert.Kind.BREAK_GLASS)  # no check run needed
    assert alert.event_id == glass.pk and alert.details["reason"] == "Urgent safeguarding call"
    listing = client.get(reverse("audit:alerts"))
    assert alert in listing.context["page"].object_list
    assert "checked every 15 minutes" in listing.content.decode()
    assert client.post(reverse("audit:alerts_compute")).status_code == 302  # the scheduled kinds, on demand

    refused = client.post(reverse("audit:alert", args=[alert.pk]), {"note": "  "})
    assert refused.status_code == 200
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN

    client.post(reverse("audit:alert", args=[alert.pk]), {"note": "Confirmed with team manager."})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.REVIEWED and alert.reviewed_by == users[REVIEWER]
    review = AuditEvent.objects.get(action=AuditEvent.Action.ALERT_REVIEW)
    assert (review.subject_type, review.subject_id, review.user_id_snapshot) == ("alert", str(alert.pk), users[REVIEWER].pk)
    assert review.details["note"] == "Confirmed with team manager."


def test_counts_stop_at_the_cap_and_say_so(client_as, users, monkeypatch):
    from apps.audit.views import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 3)
    for i in range(5):
        audit_record(action=AuditEvent.Action.SEARCH, user=users["key-worker"], details={"i": i})
    response = client_as(REVIEWER).get(reverse("audit:events"), {"action": "search"})
    assert "more than 3 events" in response.content.decode()
    assert len(response.context["page"].object_list) == 5
    recorded = AuditEvent.objects.order_by("-id").first()
    assert recorded.result_count == 4 and recorded.details["count_capped"] is True
