"""The back-office pages in headless Chromium, each as the role that uses it, with axe-core checks
and screenshots: imports and data quality (custodian), the match run and clerical review (data
quality officer), insights (analyst), alerts (audit reviewer), access (custodian)."""

from datetime import date

import pytest
from django.core.management import call_command

from apps.matching.models import ClericalPair, MatchRun
from tests.browser.axe import axe_violations
from tests.browser.conftest import login, logout
from tests.browser.test_case_worker_pages import shot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit(page, live_server, path, heading, screenshot):
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector(f"h1:has-text('{heading}')")
    violations = axe_violations(page)
    assert violations == [], (path, [(v["id"], v["help"]) for v in violations])
    shot(page, screenshot)


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
    pair = ClericalPair.objects.first()
    visit(page, live_server, f"/matching/review/{pair.pk}/", "Are these the same person", "15-review-pair")
    logout(page)

    login(page, live_server, "analyst", PASSWORD)
    visit(page, live_server, "/insights/", "Families by area", "16-insights")
    assert "North" in page.locator("main").inner_text()
    logout(page)

    login(page, live_server, "audit_reviewer", PASSWORD)
    visit(page, live_server, "/audit/alerts/", "Audit log", "17-audit-alerts")
