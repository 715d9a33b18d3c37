"""The family chronology tab in headless Chromium: an MOJ timeline, axe-clean, no sideways scroll at 320 px."""

import pytest

from apps.audit.models import AuditEvent
from tests.browser.checks import check_page, shot_narrow
from tests.browser.conftest import login
from tests.caseview.chronology_world import family_with_agencies
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_family_chronology_and_who_is_involved(browser_page, live_server, users):
    fam = family_with_agencies(users)
    page = browser_page
    login(page, live_server, "key_worker", PASSWORD)

    page.goto(f"{live_server.url}/people/family/{fam['family'].pk}/")
    page.wait_for_selector("h2:has-text('Who is involved')")
    assert page.get_by_text("Notton House Academy").count() >= 1
    check_page(page)

    page.click("nav[aria-label='Family pages'] >> text=Chronology")
    page.wait_for_selector(".moj-timeline")
    titles = page.locator(".moj-timeline__title time").evaluate_all("nodes => nodes.map(n => n.getAttribute('datetime'))")
    assert titles == sorted(titles, reverse=True) and len(titles) == len(set(titles))
    assert page.get_by_text("Victim of DVA").count() == 1
    assert page.get_by_text("Theft from a shop").count() == 0  # a restricted member's record
    check_page(page, "40-family-chronology")
    shot_narrow(page, "41-family-chronology-320px")

    actions = list(AuditEvent.objects.filter(username="key_worker").order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["view_family", "view_family"]
