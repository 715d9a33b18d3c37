"""The back-office pages in headless Chromium, each as the role that uses it, with axe-core checks
and screenshots: imports and data quality (custodian), the match run and clerical review (data
quality officer), insights (analyst), alerts (audit reviewer), access (custodian). Each is axe-clean and does
not scroll sideways at 320 CSS pixels. A reviewer's decision leads to the next pair."""

from datetime import date

import pytest
from django.core.management import call_command

from apps.matching.models import ClericalPair, MatchRun
from tests.browser.checks import check_page
from tests.browser.conftest import login, logout
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit(page, live_server, path, heading, screenshot):
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector(f"h1:has-text('{heading}')")
    check_page(page, screenshot)


def test_back_office_pages(browser_page, live_server, make_user, tmp_path):
    out = tmp_path / "extract"
    call_command("synth", scale="small", seed=42, out=str(out))
    call_command("import_all", str(out))
    call_command("match")
    call_command("refresh_indicators", as_of=date(2025, 7, 31))
    for role in ("data-custodian", "data-quality-officer", "analyst", "audit-reviewer"):
        make_user(role)
    page = browser_page

    login(page, live_server, "data_custodian", PASSWORD)
    visit(page, live_server, "/imports/", "Imports", "09-imports")
    visit(page, live_server, "/imports/quality/", "Data quality", "10-data-quality")
    visit(page, live_server, "/accounts/custodian/", "Access", "11-custodian")
    visit(page, live_server, "/accounts/custodian/roles/", "Roles", "12-role-matrix")
    logout(page)

    login(page, live_server, "data_quality_officer", PASSWORD)
    run = MatchRun.objects.latest("pk")
    visit(page, live_server, f"/matching/runs/{run.pk}/", "Match run", "13-match-run")
    visit(page, live_server, "/matching/review/", "Clerical review", "14-review-queue")
    first, second = ClericalPair.objects.all()[:2]  # the queue's order: most likely matches first
    total = ClericalPair.objects.count()
    visit(page, live_server, f"/matching/review/{first.pk}/", "Are these the same person", "15-review-pair")
    assert page.locator("#queue-place").inner_text() == f"Pair 1 of {total:,} to review"

    page.click("button:has-text('Record decision')")  # no decision chosen: an error on the form, nothing recorded
    page.wait_for_selector(".govuk-error-summary")
    assert "Choose whether the two records are the same person" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#outcome-error").is_visible() and page.locator(".govuk-notification-banner").count() == 0
    check_page(page, "20-review-pair-error")
    assert ClericalPair.objects.filter(pk=first.pk).exists()

    page.check("#outcome-not_match")
    page.click("button:has-text('Record decision')")
    page.wait_for_url(f"**/matching/review/{second.pk}/")
    assert page.locator("#queue-place").inner_text() == f"Pair 1 of {total - 1:,} to review"
    assert f"Decision on pair {first.pk} recorded" in page.locator(".govuk-notification-banner").inner_text()
    assert not ClericalPair.objects.filter(pk=first.pk).exists()
    logout(page)

    login(page, live_server, "analyst", PASSWORD)
    visit(page, live_server, "/insights/", "Families by area", "16-insights")
    assert "North" in page.locator("main").inner_text()
    logout(page)

    login(page, live_server, "audit_reviewer", PASSWORD)
    visit(page, live_server, "/audit/alerts/", "Audit log", "17-audit-alerts")
