"""The whole casework journey in headless Chromium, from the eligible list to a submitted claim (issue 14):

* the early-help manager opens a case from the eligible list, triages it, records consent for the adults and
  allocates it to the key worker;
* the key worker confirms needs from the data, completes the assessment, agrees the plan and closes the case;
* the nightly refresh runs once the sustain period after closure has passed (the only step not done through the
  pages: a refresh with a later ``as_of``) and decides the outcomes;
* the programme manager finds the case on the results claim list, opens its evidence pack, submits the claim and
  sees it counted in the quarterly return.

Every page is walked by clicks and form fills, and each is axe-clean with no sideways scroll at 320 CSS pixels.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.casework.claim_selectors import quarter_of
from apps.casework.measures import add_months
from apps.casework.models import Case, CaseNeed, Claim
from apps.indicators.models import FrameworkNeed
from apps.indicators.services import indicators_refresh
from tests import factories
from tests.browser.checks import check_page
from tests.browser.conftest import login, logout
from tests.casework.conftest import make_team
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nav(page, label):
    page.click(f"nav.moj-primary-navigation a:has-text('{label}')")
    page.wait_for_selector(f"h1:has-text('{label}')")


def confirm_need_from_data(page, framework_need):
    block = page.locator(f"#need-{framework_need.pk}")
    block.locator("summary").click()
    assert block.locator("input[name='source'][value='data']").is_checked()
    block.locator("button:has-text('Confirm need')").click()
    page.locator(f"#need-{framework_need.pk} strong.govuk-tag:has-text('Confirmed')").wait_for()


def test_from_the_eligible_list_to_a_claim(browser_page, live_server, make_user):
    made = factories.family(reference="F000777")  # mum: a domestic abuse incident and out-of-work benefits, Feb 2025
    manager, lead, pm = make_user("early-help-manager"), make_user("key-worker"), make_user("programme-manager")
    make_team(code="eh-north", name="Early help North", manager=manager, members=[lead],
              email="eh.north@example.gov.uk", phone="0117 903 1234")
    today = timezone.localdate()
    page = browser_page

    # --- the early-help manager: open, triage, consent, allocate -------------------------------------------
    login(page, live_server, "early_help_manager", PASSWORD)
    nav(page, "Eligible families")
    row = page.locator("tr", has=page.get_by_role("link", name="F000777"))
    check_page(page)
    row.locator("button:has-text('Open a case')").click()
    page.wait_for_selector("h2:has-text('Triage')")
    check_page(page)
    page.check("input[value='accept']")
    page.click("button:has-text('Save the decision')")
    page.wait_for_selector("h1:has-text('Case')")
    case = Case.objects.get(family=made["family"])
    assert case.state == Case.State.TRIAGED

    page.click("a.govuk-button:has-text('Consent')")
    page.click("button:has-text('Start seeking consent')")
    page.wait_for_selector("text=Record consent for 1 adult")
    check_page(page)
    page.click("a.moj-sub-navigation__link:has-text('Consent')")
    page.select_option("#id_person", str(made["mum"].pk))
    page.check("input[name='status'][value='given']")
    page.fill("#id_recorded_on", today.isoformat())
    page.check("label:has-text('BCC') >> xpath=../input")
    check_page(page)
    page.click("button:has-text('Record consent')")
    page.wait_for_selector("text=Allocate a lead practitioner")

    page.click("a:has-text('Allocate a lead practitioner')")
    page.wait_for_selector("h2:has-text('Allocate a lead practitioner')")
    check_page(page)
    page.check("input[name='lead']")
    page.click("button:has-text('Allocate')")
    page.wait_for_selector("text=Complete the whole-family assessment")
    check_page(page)
    case.refresh_from_db()
    assert case.state == Case.State.ALLOCATED and case.lead_practitioner == lead
    logout(page)

    # --- the key worker: assess, agree the plan, close ----------------------------------------------------
    login(page, live_server, "key_worker", PASSWORD)
    nav(page, "My families")
    check_page(page)
    page.click(f"a:has-text('{case.reference}')")
    page.wait_for_selector("h1:has-text('Case')")
    page.click("a.moj-sub-navigation__link:has-text('Assessment and plan')")
    page.wait_for_selector("h2:has-text('Whole-family assessment and outcome plan')")
    check_page(page)
    needs = FrameworkNeed.objects.filter(headline__framework=case.framework)
    domestic_abuse, out_of_work = needs.get(code="domestic-abuse"), needs.get(code="out-of-work")
    confirm_need_from_data(page, domestic_abuse)
    confirm_need_from_data(page, out_of_work)
    check_page(page)
    page.click("button:has-text('Complete the assessment')")
    page.fill("#next_review_on", (today + timedelta(days=28)).isoformat())
    page.click("button:has-text('Agree the plan with the family')")
    page.wait_for_selector("text=Next review:")
    check_page(page)
    case.refresh_from_db()
    assert case.state == Case.State.PLAN_AGREED
    assert set(case.needs.values_list("need__code", "evidence_source")) == {
        ("domestic-abuse", "data"), ("out-of-work", "data")}

    page.click("a.moj-sub-navigation__link:has-text('Case')")
    page.click("a.govuk-button:has-text('Close the case')")
    page.wait_for_selector("h2:has-text('Close the case')")
    check_page(page)
    page.check("input[name='reason'][value='outcomes_met']")
    page.fill("textarea[name='note']", "Plan completed: no incidents since the plan was agreed, mum in work")
    page.click("button:has-text('Close the case')")
    page.wait_for_selector("text=Plan completed: outcomes met")
    check_page(page)
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED and case.closed_on == today
    logout(page)

    # --- time passes: the nightly refresh after the sustain period decides the outcomes ---------------------
    indicators_refresh(as_of=add_months(today, settings.CASEWORK_SUSTAIN_MONTHS) - timedelta(days=1))
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED  # a day early: not yet due
    checked_on = add_months(today, settings.CASEWORK_SUSTAIN_MONTHS)
    indicators_refresh(as_of=checked_on)
    case.refresh_from_db()
    assert case.state == Case.State.OUTCOME_CHECKED and case.outcome_checked_on == checked_on
    assert all(n.outcome_status == CaseNeed.Outcome.ACHIEVED and n.sustained for n in case.needs.all())

    # --- the programme manager: claim list, evidence pack, claim, quarterly return --------------------------
    login(page, live_server, "programme_manager", PASSWORD)
    nav(page, "Results claims")
    check_page(page)
    page.click(f"a:has-text('{case.reference}')")
    page.wait_for_selector("h1:has-text('Evidence pack')")
    assert page.get_by_text(domestic_abuse.name).count() >= 1
    check_page(page)
    page.click("button:has-text('Submit the claim')")
    page.wait_for_selector("h1:has-text('Results claims')")
    check_page(page)
    case.refresh_from_db()
    claim = Claim.objects.get(case=case)
    assert case.state == Case.State.CLAIMED and claim.submitted_by == pm and claim.quarter == quarter_of(today)

    nav(page, "Quarterly return")

    def counts(quarter):
        row = page.locator("tbody tr", has=page.locator(f"th:text-is('{quarter}')"))
        return row.locator("td").all_inner_texts()

    # identified, consented, allocated, closed and claimed this quarter; outcomes achieved when they were checked
    assert counts(quarter_of(today)) == ["1", "1", "1", "1", "0", "1"]
    assert counts(quarter_of(checked_on)) == ["0", "0", "0", "0", "1", "0"]
    check_page(page)
