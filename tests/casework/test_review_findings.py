"""Findings of the security and correctness review of casework (issue 14): each a boundary that must hold."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.casework.models import Case, Notification
from apps.indicators.services import indicators_refresh
from apps.people.models import FamilyMembership
from tests import factories

from .notify_setup import engaged_case
from .test_notifications import tasks_run_in_process  # noqa: F401 (a fixture)
from .test_pages import signed_in

pytestmark = pytest.mark.django_db


def test_a_refused_allocation_does_not_count_an_adult_the_manager_may_not_see(consent_case, team, users):
    """Every adult the manager sees has given consent; a restricted adult has not. Allocation is refused (the rule
    holds for every adult), but the refusal must not count the hidden adult ("for 1 adult")."""
    family = consent_case.family
    hidden = factories.person(forename="Quentin", surname="Hiddenhurst", dob=dt.date(1985, 2, 14),
                              is_restricted=True, restriction_reason="Relative of staff")
    FamilyMembership.objects.create(family=family, person=hidden, role="parent", date_from=dt.date(2019, 1, 1))
    manager = signed_in(users["early-help-manager"])
    mum = family.memberships.get(role="parent", person__is_restricted=False).person
    assert manager.post(reverse("casework:case_consent", kwargs={"pk": consent_case.pk}), {
        "action": "consent", "person": mum.pk, "status": "given",
        "recorded_on": timezone.localdate().isoformat()}).status_code == 302

    page = manager.post(reverse("casework:case_allocate", kwargs={"pk": consent_case.pk}),
                        {"action": "allocate", "lead": f"{team.pk}-{users['key-worker'].pk}"}).content.decode()

    consent_case.refresh_from_db()
    assert consent_case.state == Case.State.CONSENT
    assert "govuk-error-summary" in page
    assert "1 adult" not in page and "Hiddenhurst" not in page


def test_no_email_when_every_new_notification_is_about_someone_the_lead_may_not_see(
        settings, users, django_capture_on_commit_callbacks, tasks_run_in_process):
    """The email says only "something new", but an email at all says that something happened: it must not be sent
    when nothing new is visible to the lead (here: an incident about a restricted child)."""
    settings.NOTIFY_API_KEY, settings.NOTIFY_TEMPLATE_ID = "test-key", "f33517ff-2a88-4f6e-b855-c550268ce08a"
    made = factories.family(reference="F007002")
    engaged_case(users, made)
    made["child"].is_restricted, made["child"].restriction_reason = True, "Relative of staff"
    made["child"].save()
    # the child's own record; nothing new about anyone the lead may see
    factories.indicator(made["child"], "person-committed-offence", on=dt.date(2025, 3, 10), notes="",
                        dataset_code="asc-offenders")
    client = mock.Mock()
    client.send_email_notification.return_value = {"id": "notify-x"}
    with mock.patch("apps.casework.notification_services.notify_client", return_value=client), \
            django_capture_on_commit_callbacks(execute=True):
        indicators_refresh(as_of=dt.date(2025, 3, 15))

    assert Notification.objects.filter(person=made["child"]).exists()  # made (the lead may see it one day)
    client.send_email_notification.assert_not_called()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.NOTIFY).exists()


def test_a_need_about_only_a_member_the_reader_may_not_see_leaves_no_trace(casework_world):
    """The lead confirmed a need about the child, who has since been restricted (neither the lead nor the manager
    is named on it). The need, its note and its count are absent from every page that shows the plan."""
    from tests.casework import outcomes_world as world

    users, case, family = casework_world["users"], casework_world["case"], casework_world["family"]
    case.framework = world.framework()
    case.save(update_fields=["framework"])
    lead = users["key-worker"]
    visible = world.need(case, "family-relationships", [casework_world["mum"]], lead)
    hidden = world.need(case, "exclusion", [casework_world["child"]], lead)
    hidden.evidence_note = "Hiddenhurst worry"
    hidden.save(update_fields=["evidence_note"])
    child = casework_world["child"]
    child.is_restricted, child.restriction_reason = True, "Relative of staff"
    child.save()

    for who, names in ((lead, ("casework:case", "casework:case_plan")),
                       (users["early-help-manager"], ("casework:case", "casework:case_plan"))):
        client = signed_in(who)
        for name in names:
            body = client.get(reverse(name, kwargs={"pk": case.pk})).content.decode()
            assert "Hiddenhurst" not in body and "of 2 needs" not in body and "2 needs confirmed" not in body, name
            assert "of 1 needs" in body or "1 need confirmed" in body, name
            if name == "casework:case_plan":
                block = body[body.index(f'id="need-{hidden.need_id}"'):]
                assert "Confirmed</strong>" not in block[:block.index("</h3>")]
                assert visible.need.name in body
    for who, name in ((lead, "casework:my_families"), (users["early-help-manager"], "casework:team_cases")):
        body = signed_in(who).get(reverse(name)).content.decode()
        assert "of 2 needs" not in body and "of 1 needs" in body, name
    glance = signed_in(lead).get(reverse("caseview:family", kwargs={"pk": family.pk})).content.decode()
    assert "of 2 needs" not in glance and "of 1 needs" in glance
    Case.objects.filter(pk=case.pk).update(state=Case.State.OUTCOME_CHECKED)
    evidence = signed_in(users["programme-manager"]).get(
        reverse("casework:claim_evidence", kwargs={"pk": case.pk})).content.decode()
    assert visible.need.name in evidence and hidden.need.name not in evidence and "Hiddenhurst" not in evidence


def test_over_long_practitioner_notes_and_override_reasons_are_refused_not_stored(users):
    """The forms cap free text at 2,000 characters; the assessment and override take theirs straight from POST."""
    from apps.accounts.access import Viewer
    from apps.casework import assessment
    from apps.casework.claim_services import ClaimRefused, need_override
    from apps.casework.models import CaseNeed
    from apps.casework.services import CaseStateError
    from apps.indicators.models import FrameworkNeed
    from tests.casework import outcomes_world as world

    fw = world.framework()
    fam, mum, _child = world.family()
    lead = users["key-worker"]
    c = world.case(fam, fw, state=Case.State.ALLOCATED, lead=lead)
    need = FrameworkNeed.objects.get(headline__framework=fw, code="family-relationships")
    with pytest.raises(CaseStateError, match="2,000"):
        assessment.need_confirm(case=c, need=need, viewer=Viewer.for_user(lead), person_ids=[mum.pk],
                                source="practitioner", note="x" * 2001, on=dt.date(2025, 1, 1))
    assert not CaseNeed.objects.exists()

    checked = world.case(world.family(reference="F070002")[0], fw, state=Case.State.OUTCOME_CHECKED, reference="C070002")
    unmet = world.need(checked, "family-relationships", [], lead)
    with pytest.raises(ClaimRefused, match="2,000"):
        need_override(case_need=unmet, reason="y" * 2001, by=users["early-help-manager"])
    unmet.refresh_from_db()
    assert not unmet.override_reason


def test_a_statutory_basis_is_recorded_on_open_cases_only(casework_world):
    """Like consent: on a closed case the lead still has a part, but a statutory basis can no longer be recorded."""
    from apps.casework.services import case_close

    users, case = casework_world["users"], casework_world["case"]
    case = case_close(case=case, reason="stepped_down", by=users["key-worker"])
    page = signed_in(users["key-worker"]).post(reverse("casework:case_consent", kwargs={"pk": case.pk}),
                                               {"action": "statutory", "basis": "Children Act 1989 s.47"})
    case.refresh_from_db()
    assert page.status_code == 200 and "govuk-error-summary" in page.content.decode()
    assert not case.statutory_basis


def test_a_team_member_cannot_be_working_with_the_family_from_a_future_date(casework_world):
    users, case = casework_world["users"], casework_world["case"]
    future = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    page = signed_in(users["key-worker"]).post(reverse("casework:case_team", kwargs={"pk": case.pk}), {
        "action": "member", "name": "Dana Health", "role": "Health visitor", "agency": "Sirona", "date_from": future})
    assert page.status_code == 200 and "govuk-error-summary" in page.content.decode()
    assert not case.team_members.exists()
