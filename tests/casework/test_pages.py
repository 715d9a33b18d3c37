"""The casework pages: who gets which case (404 otherwise), every POST through a service, what each shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.casework.models import Case, TeamMember
from apps.casework.services import case_agree_plan, case_assess, case_close, case_identify, consent_record
from apps.people.models import FamilyMembership
from tests import factories

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def case_urls(case):
    return [reverse(name, kwargs={"pk": case.pk}) for name in (
        "casework:case", "casework:case_consent", "casework:case_team", "casework:case_close")]


def test_the_lead_and_the_team_manager_see_the_case_others_get_404(casework_world, make_user):
    users, case = casework_world["users"], casework_world["case"]
    for url in case_urls(case):
        assert signed_in(users["key-worker"]).get(url).status_code == 200, url
        assert signed_in(users["early-help-manager"]).get(url).status_code == 200, url
        # casework.work but not the lead; a manager of another team; case.view with no part in it
        for who in (users["social-worker"], casework_world["other_manager"], users["police-safeguarding"],
                    users["programme-manager"]):
            assert signed_in(who).get(url).status_code == 404, (who.username, url)


def test_the_programme_manager_sees_a_case_past_closure_but_cannot_act_on_it(casework_world):
    users, case = casework_world["users"], casework_world["case"]
    case_close(case=case, reason="stepped_down", by=users["key-worker"])
    pm = signed_in(users["programme-manager"])
    assert pm.get(reverse("casework:case", kwargs={"pk": case.pk})).status_code == 200
    assert pm.get(reverse("casework:case_consent", kwargs={"pk": case.pk})).status_code == 200
    assert pm.get(reverse("casework:case_close", kwargs={"pk": case.pk})).status_code == 404
    response = pm.post(reverse("casework:case_team", kwargs={"pk": case.pk}),
                       {"action": "member", "name": "X", "role": "Y", "agency": "Z", "date_from": "2026-01-01"})
    assert response.status_code == 404 and not TeamMember.objects.exists()


def test_case_page_shows_state_lead_contact_consent_and_history(casework_world):
    users, case = casework_world["users"], casework_world["case"]
    users["key-worker"].email = "kw@example.gov.uk"
    users["key-worker"].save()
    page = signed_in(users["early-help-manager"]).get(reverse("casework:case", kwargs={"pk": case.pk})).content.decode()
    for text in ("Allocated", "kw@example.gov.uk", "eh.north@example.gov.uk", "0117 903 1234", "Kerry", "Given",
                 "BCC", "Seeking consent to Allocated", "Complete the whole-family assessment"):
        assert text in page, text
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_CASE).latest("id")
    assert event.subject_id == str(case.pk)


def test_triage_through_the_page_decline_needs_a_reason(case_family, team, users):
    case = case_identify(family=case_family["family"], by=users["early-help-manager"])
    manager = signed_in(users["early-help-manager"])
    url = reverse("casework:case_triage", kwargs={"pk": case.pk})
    page = manager.post(url, {"action": "triage", "decision": "decline", "reason": ""})
    assert page.status_code == 200 and "Give a reason for declining" in page.content.decode()
    assert "govuk-error-summary" in page.content.decode()
    response = manager.post(url, {"action": "triage", "decision": "accept"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.TRIAGED


def test_a_refused_allocation_is_shown_as_an_error(consent_case, team, users):
    manager = signed_in(users["early-help-manager"])
    url = reverse("casework:case_allocate", kwargs={"pk": consent_case.pk})
    page = manager.get(url).content.decode()
    assert "allocation will be refused" in page
    lead = f"{team.pk}-{users['key-worker'].pk}"
    page = manager.post(url, {"action": "allocate", "lead": lead}).content.decode()
    assert "govuk-error-summary" in page and "Consent is not recorded as given" in page
    mum = consent_case.family.memberships.get(role="parent").person
    response = manager.post(reverse("casework:case_consent", kwargs={"pk": consent_case.pk}), {
        "action": "consent", "person": mum.pk, "status": "given", "recorded_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    assert manager.post(url, {"action": "allocate", "lead": lead}).status_code == 302
    consent_case.refresh_from_db()
    assert consent_case.state == Case.State.ALLOCATED and consent_case.lead_practitioner == users["key-worker"]


def test_a_manager_of_another_team_cannot_allocate_or_triage(consent_case, team, other_manager, users):
    from apps.casework.services import case_allocate, statutory_basis_record

    statutory_basis_record(case=consent_case, basis="s.47", by=users["early-help-manager"])
    case_allocate(case=consent_case, lead=users["key-worker"], team=team, by=users["early-help-manager"])
    other = signed_in(other_manager)
    for name in ("casework:case", "casework:case_allocate", "casework:case_triage", "casework:case_close"):
        assert other.get(reverse(name, kwargs={"pk": consent_case.pk})).status_code == 404
    assert other.post(reverse("casework:case_close", kwargs={"pk": consent_case.pk}),
                      {"action": "close", "reason": "other"}).status_code == 404


def test_close_through_the_page(casework_world):
    users, case = casework_world["users"], casework_world["case"]
    response = signed_in(users["key-worker"]).post(reverse("casework:case_close", kwargs={"pk": case.pk}),
                                                   {"action": "close", "reason": "disengaged", "note": "No contact"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.close_reason) == (Case.State.CLOSED, "disengaged")


def test_team_around_the_family_is_added_by_the_lead(casework_world):
    users, case = casework_world["users"], casework_world["case"]
    url = reverse("casework:case_team", kwargs={"pk": case.pk})
    lead = signed_in(users["key-worker"])
    bad = lead.post(url, {"action": "member", "name": "Dana Health", "role": "Health visitor", "agency": "Sirona",
                          "date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "The end date must be on or after the start date" in bad.content.decode()
    assert lead.post(url, {"action": "member", "name": "Dana Health", "role": "Health visitor", "agency": "Sirona",
                           "email": "dana@example.nhs.uk", "date_from": "2026-01-01"}).status_code == 302
    page = signed_in(users["early-help-manager"]).get(url).content.decode()
    assert "Dana Health" in page and "dana@example.nhs.uk" in page and "Add someone" in page


def test_my_families_lists_the_leads_cases_with_what_is_next(casework_world):
    users, case = casework_world["users"], casework_world["case"]
    case = case_assess(case=case, by=users["key-worker"])
    case_agree_plan(case=case, by=users["key-worker"], next_review_on=timezone.localdate() - dt.timedelta(days=3))
    page = signed_in(users["key-worker"]).get(reverse("casework:my_families")).content.decode()
    assert case.reference in page and "Review overdue since" in page
    assert case.reference not in signed_in(users["social-worker"]).get(reverse("casework:my_families")).content.decode()
    team_page = signed_in(users["early-help-manager"]).get(reverse("casework:team_cases")).content.decode()
    assert case.reference in team_page
    other = signed_in(casework_world["other_manager"]).get(reverse("casework:team_cases")).content.decode()
    assert case.reference not in other


def test_consent_of_a_restricted_member_leaves_no_trace_for_a_reader_who_may_not_see_them(casework_world):
    users, case, family = casework_world["users"], casework_world["case"], casework_world["family"]
    hidden = factories.person(forename="Quentin", surname="Hiddenhurst", dob=dt.date(1990, 2, 14),
                              is_restricted=True, restriction_reason="Relative of staff")
    FamilyMembership.objects.create(family=family, person=hidden, role="parent", date_from=dt.date(2019, 1, 1))
    consent_record(case=case, person=hidden, status="refused", recorded_on=timezone.localdate(),
                   by=users["early-help-manager"], note="Hiddenhurst note")
    for url in [*case_urls(case), reverse("casework:my_families"),
                reverse("caseview:family", kwargs={"pk": family.pk})]:
        body = signed_in(users["key-worker"]).get(url).content.decode()
        assert "Hiddenhurst" not in body and "Refused</strong>" not in body and "Refused " not in body, url


def test_a_restricted_familys_case_is_invisible(users, team):
    made = factories.family()
    made["family"].is_restricted = True
    made["family"].save()
    case = case_identify(family=made["family"], by=users["early-help-manager"])
    manager = signed_in(users["early-help-manager"])
    assert manager.get(reverse("casework:case", kwargs={"pk": case.pk})).status_code == 404
    assert case.reference not in manager.get(reverse("casework:team_cases")).content.decode()
    assert made["family"].reference not in manager.get(reverse("casework:eligible")).content.decode()


def test_the_family_page_shows_who_leads_to_every_reader_and_consent_only_to_the_cases_readers(casework_world):
    users, family = casework_world["users"], casework_world["family"]
    url = reverse("caseview:family", kwargs={"pk": family.pk})
    police = signed_in(users["police-safeguarding"]).get(url).content.decode()
    assert "case-at-a-glance" in police and "Early help North" in police and "eh.north@example.gov.uk" in police
    assert "Outcome plan" not in police and reverse("casework:case", kwargs={"pk": casework_world["case"].pk}) not in police
    lead = signed_in(users["key-worker"]).get(url).content.decode()
    assert "Outcome plan" in lead and "given" in lead
    assert reverse("casework:case", kwargs={"pk": casework_world["case"].pk}) in lead


def test_the_eligible_list_filters_opens_a_case_and_is_audited(case_family, users, team):
    manager = signed_in(users["early-help-manager"])
    url = reverse("casework:eligible")
    family = case_family["family"]
    page = manager.get(url).content.decode()
    assert family.reference in page and "Open a case" in page
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH, subject_type="eligible_families").latest("id")
    assert event.result_count >= 1
    assert family.reference not in manager.get(url, {"area": "south"}).content.decode()
    assert family.reference not in manager.get(url, {"has_case": "yes"}).content.decode()
    assert family.reference in manager.get(url, {"reference": family.reference.lower()}).content.decode()
    criteria = family.criteria
    assert family.reference not in manager.get(url, {"problems": str(criteria.problem_count + 1)}).content.decode()
    assert family.reference in manager.get(url, {"problems": str(criteria.problem_count)}).content.decode()
    assert family.reference in manager.get(url, {"badge": criteria.badges[0]}).content.decode()
    response = manager.post(reverse("casework:case_open", kwargs={"family_pk": family.pk}))
    case = Case.objects.get(family=family)
    assert response.status_code == 302 and response["Location"] == reverse("casework:case_triage", kwargs={"pk": case.pk})
    assert family.reference in manager.get(url, {"has_case": "yes"}).content.decode()


def test_a_family_eligible_only_through_a_restricted_member_is_not_listed(users):
    """The stored criteria count the restricted member; the manager, who may not see them, is not shown the family."""
    from apps.indicators.models import FamilyCriteria
    from apps.indicators.services import indicators_refresh

    made = factories.family()
    family = made["family"]
    assert family.criteria.is_eligible
    # make every visible member's indicators vanish and give them to a restricted adult instead
    from apps.indicators.models import PersonIndicator

    hidden = factories.person(forename="Ruth", surname="Secretson", dob=dt.date(1980, 1, 1), is_restricted=True,
                              restriction_reason="Staff")
    FamilyMembership.objects.create(family=family, person=hidden, role="parent", date_from=dt.date(2019, 1, 1))
    PersonIndicator.objects.filter(person__in=[made["mum"], made["child"], made["baby"]]).update(person=hidden)
    indicators_refresh(family_reference=family.reference, as_of=factories.FAMILY_AS_OF)
    assert FamilyCriteria.objects.get(family=family).is_eligible
    page = signed_in(users["early-help-manager"]).get(reverse("casework:eligible")).content.decode()
    assert family.reference not in page


def test_the_eligible_list_pages_a_recomputed_family_in_its_place(users, monkeypatch):
    """A family with a restricted member is computed for the reader and merged into the priority order: paged one
    family at a time, every family comes once, in the order of the whole list, and the total counts it."""
    from apps.accounts.access import Viewer
    from apps.casework import selectors
    from apps.indicators.models import FamilyCriteria

    families = [factories.family()["family"] for _ in range(4)]
    middle = families[1]
    hidden = factories.person(forename="Ruth", surname="Secretson", dob=dt.date(1980, 1, 1), is_restricted=True,
                              restriction_reason="Staff")
    FamilyMembership.objects.create(family=middle, person=hidden, role="other_adult", date_from=dt.date(2019, 1, 1))
    # the last two come after the recomputed one (lower risk and cost, as stored), so it lands mid-list
    FamilyCriteria.objects.filter(family__in=families[2:]).update(max_risk=0, estimated_cost=0)
    viewer = Viewer.for_user(users["early-help-manager"])
    whole = selectors.eligible_families(viewer=viewer)
    assert whole.total == 4 and sorted(whole.family_ids) == sorted(f.pk for f in families)
    assert whole.family_ids.index(middle.pk) < 2
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    pages = [selectors.eligible_families(viewer=viewer, page=n) for n in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [4, 4, 4, 4]
    assert [family_id for p in pages for family_id in p.family_ids] == whole.family_ids
    only = [selectors.eligible_families(viewer=viewer, page=n, reference=middle.reference) for n in (1, 2)]
    assert [p.family_ids for p in only] == [[middle.pk], [middle.pk]]  # a page past the end is the last page
