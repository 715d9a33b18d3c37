"""A key worker signs in, searches with a misspelt name and reads the person, attendance, family and
address pages in headless Chromium; axe-core finds no WCAG 2.2 AA violations on any of them.
Screenshots go to docs/screenshots/ for people to look at."""

from pathlib import Path

import pytest

from apps.audit.models import AuditEvent
from tests import factories
from tests.browser.axe import axe_violations
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_accessible(page):
    violations = axe_violations(page)
    assert violations == [], "\n".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in violations)


def test_key_worker_journey(browser_page, live_server, make_user):
    from tests.conftest import PASSWORD

    fam = factories.family(reference="F000123")
    make_user("key-worker")
    page = browser_page
    login(page, live_server, "key_worker", PASSWORD)

    page.fill("#q", "Jak Smyth")
    page.select_option("#purpose", "Safeguarding enquiry")
    page.click("button:has-text('Search')")
    page.wait_for_selector("text=found")
    assert page.locator("table.govuk-table").get_by_text("SMITH, Jack").count() == 1
    assert_accessible(page)
    shot(page, "01-search")

    page.click("text=SMITH, Jack")
    page.wait_for_selector("h1:has-text('Jack')")
    assert page.get_by_text("Child Persistently Absent").count() >= 1
    assert page.get_by_text("Risk of NEET").count() >= 1
    assert_accessible(page)
    shot(page, "02-person")

    page.click("text=School and attendance")
    page.wait_for_selector("caption:has-text('Monthly attendance')")
    assert page.get_by_text("Notton House Academy").count() >= 1
    assert page.locator("tfoot").inner_text().split()[-3:] == ["25", "88", "28.4%"]
    assert_accessible(page)
    shot(page, "03-school-attendance")

    page.click("text=Indicators and identity")
    page.click("a:has-text('F000123')")
    page.wait_for_selector("h1:has-text('Family F000123')")
    assert page.get_by_text("Claire Mackey").count() == 1
    assert page.get_by_text("Eligible", exact=True).count() == 1
    assert_accessible(page)
    shot(page, "04-family")

    page.click("text=Address history")
    page.wait_for_selector("h2:has-text('Address history of the family')")
    assert page.get_by_text("Overlaps").count() >= 1
    assert_accessible(page)
    shot(page, "05-family-addresses")

    page.goto(f"{live_server.url}/people/person/{fam['mum'].pk}/addresses/")
    assert_accessible(page)
    shot(page, "06-person-addresses")

    actions = list(AuditEvent.objects.filter(username="key_worker").order_by("id").values_list("action", flat=True))
    assert actions[1:] == ["search", "view_person", "view_attendance", "view_person", "view_family", "view_addresses", "view_addresses"]
