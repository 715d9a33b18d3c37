"""The casework journey in headless Chromium, from the eligible list to an allocated case on the lead's
"My families": every page axe-clean and without sideways scroll at 320 px."""

import pytest

from apps.casework.models import Case
from tests import factories
from tests.browser.checks import check_page
from tests.browser.conftest import login, logout
from tests.casework.conftest import make_team
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_opens_triages_records_consent_and_allocates_and_the_lead_sees_it(browser_page, live_server, make_user):
    made = factories.family(reference="F000321")
    manager = make_user("early-help-manager")
    lead = make_user("key-worker")
    make_team(code="eh-north", name="Early help North", manager=manager, members=[lead],
              email="eh.north@example.gov.uk", phone="0117 903 1234")
    page = browser_page
    login(page, live_server, "early_help_manager", PASSWORD)

    page.goto(f"{live_server.url}/casework/eligible/")
    page.wait_for_selector("h1:has-text('Eligible families')")
    assert page.get_by_role("link", name="F000321").count() == 1
    check_page(page, "casework-01-eligible")
    page.click("button:has-text('Open a case')")
    page.wait_for_selector("h2:has-text('Triage')")
    check_page(page, "casework-02-triage")
    page.click("button:has-text('Save the decision')")  # nothing chosen: the error summary
    page.wait_for_selector(".govuk-error-summary")
    assert page.get_by_text("Choose accept, decline or not now.").count() >= 1
    check_page(page)
    page.check("input[value='accept']")
    page.click("button:has-text('Save the decision')")
    page.wait_for_selector("h1:has-text('Case')")

    page.click("a.govuk-button:has-text('Consent')")
    page.click("button:has-text('Start seeking consent')")
    page.wait_for_selector("text=Record consent for 1 adult")
    page.click("a.moj-sub-navigation__link:has-text('Consent')")
    page.select_option("#id_person", str(made["mum"].pk))
    page.check("input[name='status'][value='given']")
    page.fill("#id_recorded_on", "2026-01-05")
    page.check("label:has-text('BCC') >> xpath=../input")
    check_page(page, "casework-03-consent")
    page.click("button:has-text('Record consent')")
    page.wait_for_selector("text=Allocate a lead practitioner")

    page.click("a:has-text('Allocate a lead practitioner')")
    page.wait_for_selector("h2:has-text('Allocate a lead practitioner')")
    check_page(page, "casework-04-allocate")
    page.check("input[name='lead']")
    page.click("button:has-text('Allocate')")
    page.wait_for_selector("text=Complete the whole-family assessment")
    check_page(page, "casework-05-case")
    case = Case.objects.get(family=made["family"])
    assert case.state == Case.State.ALLOCATED and case.lead_practitioner == lead

    logout(page)
    login(page, live_server, "key_worker", PASSWORD)
    page.goto(f"{live_server.url}/casework/mine/")
    page.wait_for_selector("h1:has-text('My families')")
    assert page.get_by_text(case.reference).count() == 1
    check_page(page, "casework-06-my-families")
    page.goto(f"{live_server.url}/casework/cases/{case.pk}/team/")
    page.fill("#id_name", "Dana Health")
    page.fill("#id_role", "Health visitor")
    page.fill("#id_agency", "Sirona care and health")
    page.fill("#id_date_from", "2026-01-06")
    page.click("button:has-text('Add to the team')")
    page.wait_for_selector("h1:has-text('Case')")
    page.goto(f"{live_server.url}/casework/cases/{case.pk}/team/")
    assert page.get_by_text("Dana Health").count() == 1
    check_page(page, "casework-07-team")
    page.goto(f"{live_server.url}/people/family/{made['family'].pk}/")
    page.wait_for_selector("#case-at-a-glance")
    check_page(page)
