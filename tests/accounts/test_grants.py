"""The access workflow: request, approve or refuse, review, revoke, expiry; each step audited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.access import access_for
from apps.accounts.forms import one_year_after
from apps.accounts.models import AccessGrant, Role
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def request_role(client, slug="key-worker"):
    return client.post(reverse("accounts:my_access"), {
        "role": slug, "justification": "Key worker in the North locality team", "line_manager": "Ann Manager",
    })


def test_a_user_with_no_role_asks_for_one_and_sees_it_waiting(client_as, users):
    client = client_as(None)
    response = request_role(client)
    assert response.status_code == 302
    grant = AccessGrant.objects.get(user=users[None])
    assert (grant.role.slug, grant.status, grant.line_manager) == ("key-worker", "requested", "Ann Manager")
    assert AuditEvent.objects.filter(action="access_request", subject_id=str(users[None].pk)).count() == 1
    page = client.get(reverse("accounts:my_access")).content.decode()
    assert "Key worker" in page and "Requested" in page


def test_a_request_needs_a_justification_and_line_manager(client_as):
    client = client_as(None)
    response = client.post(reverse("accounts:my_access"), {"role": "key-worker", "justification": "", "line_manager": ""})
    assert response.status_code == 200
    assert "Say why you need this role." in response.content.decode()
    assert "Name your line manager." in response.content.decode()
    assert not AccessGrant.objects.filter(status="requested").exists()


def test_a_second_request_for_the_same_role_is_refused(client_as):
    client = client_as(None)
    request_role(client)
    response = request_role(client)
    assert "already have a request for this role" in response.content.decode()
    assert AccessGrant.objects.filter(status="requested").count() == 1


def test_the_custodian_approves_with_the_default_expiry_and_the_role_works(client, client_as, users):
    request_role(client_as(None))
    grant = AccessGrant.objects.get(status="requested")
    custodian = client_as("data-custodian")
    assert "Ann Manager" in custodian.get(reverse("accounts:custodian")).content.decode()
    page = custodian.get(reverse("accounts:request_decide", args=[grant.pk]))
    default = one_year_after(timezone.localdate())
    assert f'value="{default.isoformat()}"' in page.content.decode()

    response = custodian.post(reverse("accounts:request_decide", args=[grant.pk]),
                              {"decision": "approve", "expires_on": default.isoformat()})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.is_active and grant.decided_by == users["data-custodian"]
    assert timezone.localtime(grant.expires_at).date() == default
    assert AuditEvent.objects.filter(action="access_grant", subject_id=str(users[None].pk)).count() == 1
    assert access_for(users[None]).active_role.slug == "key-worker"


@pytest.mark.parametrize("days, message", [(0, "must be in the future"), (400, "at most 12 months")])
def test_an_expiry_outside_twelve_months_is_refused(client_as, days, message):
    request_role(client_as(None))
    grant = AccessGrant.objects.get(status="requested")
    when = timezone.localdate() + timedelta(days=days)
    response = client_as("data-custodian").post(
        reverse("accounts:request_decide", args=[grant.pk]), {"decision": "approve", "expires_on": when.isoformat()}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    grant.refresh_from_db()
    assert grant.status == "requested"


def test_refusing_needs_a_reason_which_the_user_then_sees(client_as, users):
    request_role(client_as(None))
    grant = AccessGrant.objects.get(status="requested")
    custodian = client_as("data-custodian")
    url = reverse("accounts:request_decide", args=[grant.pk])
    assert custodian.post(url, {"decision": "refuse", "refuse-reason": ""}).status_code == 200
    grant.refresh_from_db()
    assert grant.status == "requested"
    assert custodian.post(url, {"decision": "refuse", "refuse-reason": "Not in a case role team"}).status_code == 302
    grant.refresh_from_db()
    assert grant.status == "refused"
    assert AuditEvent.objects.filter(action="access_refuse").count() == 1
    page = client_as(None).get(reverse("accounts:my_access")).content.decode()
    assert "Not in a case role team" in page and "Refused" in page
    assert access_for(users[None]).active_role is None


def test_a_custodian_cannot_approve_their_own_request(client_as, users):
    custodian = client_as("data-custodian")
    request_role(custodian, "audit-reviewer")
    grant = AccessGrant.objects.get(status="requested")
    response = custodian.post(reverse("accounts:request_decide", args=[grant.pk]),
                              {"decision": "approve", "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat()})
    assert "cannot approve their own request" in response.content.decode()
    grant.refresh_from_db()
    assert grant.status == "requested"


def test_a_revoked_grant_stops_working_on_the_next_request(client_as, users):
    key_worker = users["key-worker"]
    grant = AccessGrant.objects.active().get(user=key_worker)
    custodian = client_as("data-custodian")
    assert custodian.post(reverse("accounts:grant_revoke", args=[grant.pk]), {"reason": ""}).status_code == 200
    assert custodian.post(reverse("accounts:grant_revoke", args=[grant.pk]), {"reason": "Left the team"}).status_code == 302
    grant.refresh_from_db()
    assert grant.status == "revoked" and grant.revoke_reason == "Left the team"
    assert AuditEvent.objects.filter(action="access_revoke", subject_id=str(key_worker.pk)).count() == 1
    assert access_for(key_worker).active_role is None
    # a revoked grant cannot be revoked twice
    assert custodian.get(reverse("accounts:grant_revoke", args=[grant.pk])).status_code == 404


def test_an_expired_grant_stops_working_without_anyone_acting(client_as, users):
    client = client_as("data-custodian")
    assert client.get(reverse("accounts:custodian")).status_code == 200
    AccessGrant.objects.filter(user=users["data-custodian"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("accounts:custodian")).status_code == 404
    assert "You do not have an active role" in client.get(reverse("home")).content.decode()


def test_grants_due_for_review_are_listed_apart(client_as, users, settings):
    settings.ACCESS_REVIEW_WINDOW_DAYS = 30
    AccessGrant.objects.filter(user=users["key-worker"]).update(expires_at=timezone.now() + timedelta(days=10))
    response = client_as("data-custodian").get(reverse("accounts:custodian"))
    due = response.context["due"]
    assert [g.user.username for g in due] == ["key_worker"]
    assert "Due for review: ending within 30 days (1)" in response.content.decode()
    assert len(response.context["active"]) == len(users) - 1  # everyone but the no-role user


def test_a_grant_due_for_review_can_be_renewed_by_a_new_request(client_as, users, settings):
    settings.ACCESS_REVIEW_WINDOW_DAYS = 30
    client = client_as("key-worker")
    assert "already have this role until" in request_role(client).content.decode()
    AccessGrant.objects.filter(user=users["key-worker"]).update(expires_at=timezone.now() + timedelta(days=10))
    assert request_role(client).status_code == 302


def test_the_role_matrix_shows_capabilities_sections_and_toggles_otp(client_as):
    client = client_as("data-custodian")
    page = client.get(reverse("accounts:role_matrix")).content.decode()
    assert "Break the glass on a restricted record, giving a reason" in page
    assert "Police safeguarding" in page and "Health" in page
    response = client.post(reverse("accounts:role_otp", args=["social-worker"]), {"requires_otp": "on"})
    assert response.status_code == 302
    assert Role.objects.get(slug="social-worker").requires_otp is True
    event = AuditEvent.objects.get(action="restriction_change", subject_type="role")
    assert (event.subject_id, event.details) == ("social-worker", {"change": "requires_otp", "requires_otp": True})
    client.post(reverse("accounts:role_otp", args=["social-worker"]), {})
    assert Role.objects.get(slug="social-worker").requires_otp is False
    assert AuditEvent.objects.filter(action="restriction_change", subject_type="role").count() == 2


def test_expired_grants_are_recorded_once(users):
    from apps.accounts.services import access_grants_record_expiry

    AccessGrant.objects.filter(user=users["analyst"]).update(expires_at=timezone.now() - timedelta(days=1))
    assert access_grants_record_expiry() == 1
    assert access_grants_record_expiry() == 0


def test_the_nav_links_the_custodian_page_only_for_the_custodian(client_as):
    custodian_link = f'href="{reverse("accounts:custodian")}"'
    assert custodian_link in client_as("data-custodian").get(reverse("accounts:my_access")).content.decode()
    page = client_as(None).get(reverse("accounts:my_access")).content.decode()
    assert custodian_link not in page
    assert f'href="{reverse("accounts:my_access")}"' in page
