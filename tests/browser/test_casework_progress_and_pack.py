"""The lead practitioner in headless Chromium: the case's Progress tab and the printable pre-visit pack.
Both axe-clean and without sideways scroll at 320 CSS pixels; the pack prints without the site's navigation."""

import pytest

from apps.audit.models import AuditEvent
from tests.browser.checks import check_page, shot_narrow
from tests.browser.conftest import login
from tests.casework.pack_world import allocated_case, close, time_passes
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_progress_tab_and_printable_pack(browser_page, live_server, make_user):
    lead, manager = make_user("key-worker"), make_user("early-help-manager")
    case, made = allocated_case(lead=lead, manager=manager)
    time_passes(made)
    close(case, by=lead)
    page = browser_page
    login(page, live_server, "key_worker", PASSWORD)

    page.goto(f"{live_server.url}/casework/cases/{case.pk}/")
    page.click("a.moj-sub-navigation__link:has-text('Progress')")
    page.wait_for_selector("h2:has-text('Family progress')")
    assert page.get_by_text("Up 49.1 points").count() == 1
    assert page.locator("a[aria-current='page']").inner_text() == "Progress"
    check_page(page, "70-case-progress")
    shot_narrow(page, "71-case-progress-320px")

    page.goto(f"{live_server.url}/casework/cases/{case.pk}/pack/")
    page.wait_for_selector("h1:has-text('Pre-visit information pack')")
    assert page.get_by_text("Violence or risk of violence").count() == 1
    check_page(page, "72-pre-visit-pack")
    page.emulate_media(media="print")
    assert not page.locator("header.tf-header").is_visible()
    assert not page.get_by_text("Download as PDF").is_visible()
    assert page.get_by_role("heading", name="Staying safe on the visit").is_visible()
    page.emulate_media(media="screen")

    actions = list(AuditEvent.objects.filter(username="key_worker").order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["view_case", "view_case", "export"]
