"""The "Assessment and plan" case tab in headless Chromium, as the lead practitioner: axe-clean and no sideways
scroll at 320 CSS pixels; a need confirmed from the data, the assessment completed, a refusal shown as an error,
the plan agreed."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from apps.casework.models import Case, CaseNeed
from tests import factories
from tests.browser.checks import check_page, shot_narrow
from tests.browser.conftest import login
from tests.casework import outcomes_world as world
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_practitioner_assesses_and_agrees_the_plan(browser_page, live_server, make_user):
    lead = make_user("key-worker")
    fw = world.framework()
    fam, mum, child = world.family()
    case = world.case(fam, fw, state=Case.State.ALLOCATED, lead=lead)
    factories.indicator(mum, "victim-of-dva", on=date(2025, 11, 2), dataset_code="asc-domestic-abuse")
    factories.indicator(child, "child-persistently-absent", on=date(2025, 10, 1), value=71)
    page = browser_page
    login(page, live_server, "key_worker", PASSWORD)

    page.goto(f"{live_server.url}/casework/cases/{case.pk}/plan/")
    page.wait_for_selector("h2:has-text('Whole-family assessment and outcome plan')")
    check_page(page, "70-case-plan")
    shot_narrow(page, "71-case-plan-320px")

    da_need = fw.headlines.get(code="domestic-abuse").needs.get()
    need = page.locator(f"#need-{da_need.pk}")
    need.locator("summary").click()
    need.locator("button:has-text('Confirm need')").click()
    page.wait_for_selector("strong.govuk-tag:has-text('Confirmed')")
    assert CaseNeed.objects.get(case=case).evidence_source == "data"
    check_page(page)

    page.click("button:has-text('Complete the assessment')")
    page.wait_for_selector("button:has-text('Agree the plan with the family')")
    page.click("button:has-text('Agree the plan with the family')")  # no review date
    page.wait_for_selector(".govuk-error-summary")
    assert "Give a next review date after today" in page.locator(".govuk-error-summary").inner_text()
    check_page(page, "72-case-plan-error")

    page.fill("#next_review_on", (timezone.localdate() + timedelta(days=28)).isoformat())
    page.click("button:has-text('Agree the plan with the family')")
    page.wait_for_selector("text=Next review:")
    case.refresh_from_db()
    assert case.state == Case.State.PLAN_AGREED
    check_page(page)
