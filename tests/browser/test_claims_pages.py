"""Results claims in headless Chromium: the manager's override, the claim list, the evidence pack, submitting the
claim and the quarterly return; each page axe-clean with no sideways scroll at 320 CSS pixels."""

from datetime import date

import pytest

from apps.accounts.models import Team, TeamMembership
from apps.casework.models import Case, Claim
from tests import factories
from tests.browser.checks import check_page
from tests.browser.conftest import login, logout
from tests.casework.claim_world import checked_case
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_override_claim_list_evidence_pack_and_quarterly_return(browser_page, live_server, make_user):
    pm, manager = make_user("programme-manager"), make_user("early-help-manager")
    team = Team.objects.create(code="north", name="North early help")
    TeamMembership.objects.create(team=team, user=manager, is_manager=True)
    made = factories.family(reference="F200001")
    offence = factories.indicator(made["mum"], "person-committed-offence", on=date(2025, 9, 1),
                                  dataset_code="asc-offenders")
    record = {"kind": "indicator", "id": offence.pk, "person": made["mum"].pk, "indicator": "person-committed-offence",
              "date": "2025-09-01", "dataset": "asc-offenders", "source_records": [offence.source_records.get().pk]}
    case = checked_case(made["family"], by=pm, team=team, outcomes=("met", "not_sustained", "met"),
                        persons=[made["mum"], made["child"]], outcome_records=[record])
    page = browser_page

    login(page, live_server, "early_help_manager", PASSWORD)
    page.goto(f"{live_server.url}/casework/claims/overrides/")
    page.wait_for_selector("h1:has-text('Outcome overrides')")
    page.click("button:has-text('Override as met')")
    page.wait_for_selector(".govuk-error-summary")
    check_page(page, "60-outcome-overrides-error")
    page.fill("textarea[name=reason]", "A single incident early in the plan; the youth offending team confirm no concern")
    page.click("button:has-text('Override as met')")
    page.wait_for_selector(".govuk-notification-banner, .govuk-body:has-text('No checked case')")
    logout(page)

    login(page, live_server, "programme_manager", PASSWORD)
    page.goto(f"{live_server.url}/casework/claims/")
    page.wait_for_selector("h1:has-text('Results claims')")
    check_page(page, "61-results-claims")
    page.click(f"a:has-text('{case.reference}')")
    page.wait_for_selector("h1:has-text('Evidence pack')")
    assert "youth offending team" in page.content()
    check_page(page, "62-evidence-pack")
    page.click("button:has-text('Submit the claim')")
    page.wait_for_selector("h1:has-text('Results claims')")
    case.refresh_from_db()
    assert case.state == Case.State.CLAIMED and Claim.objects.filter(case=case).exists()
    page.goto(f"{live_server.url}/casework/quarterly-return/")
    page.wait_for_selector("h1:has-text('Quarterly return')")
    check_page(page, "63-quarterly-return")
