"""The lead practitioner reads and clears a new incident notification; the police partner exports a marker
request and records their reference. Each page axe-clean and without sideways scroll at 320 px."""

from __future__ import annotations

from datetime import date

import pytest

from apps.casework.models import MarkerRequest, Notification
from apps.indicators.services import indicators_refresh
from tests import factories
from tests.browser.checks import check_page
from tests.browser.conftest import login, logout
from tests.casework.notify_setup import engaged_case
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_notifications_then_markers(browser_page, live_server, users):
    made = factories.family(reference="F006001")
    engaged_case(users, made)
    factories.indicator(made["mum"], "person-committed-offence", on=date(2025, 3, 10), dataset_code="asc-offenders")
    indicators_refresh(as_of=date(2025, 3, 15))
    page = browser_page

    login(page, live_server, "key_worker", PASSWORD)
    page.goto(f"{live_server.url}/casework/notifications/")
    item = page.locator(".tf-notification-list li", has_text="Police incident")
    assert item.get_by_text("Kerry Smith, on 10 March 2025").is_visible()
    check_page(page, "casework-notifications")
    item.get_by_role("button", name="Mark as read").click()
    page.wait_for_url(f"{live_server.url}/casework/notifications/")
    assert Notification.objects.get(kind=Notification.Kind.POLICE_INCIDENT).read_at is not None
    assert page.locator(".tf-notification-list li", has_text="Police incident").get_by_role("button").count() == 0
    logout(page)

    login(page, live_server, "police_safeguarding", PASSWORD)
    page.goto(f"{live_server.url}/casework/markers/")
    assert page.get_by_text("Kerry Smith, born 1 June 1988").is_visible()
    check_page(page, "casework-markers")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export 1 pending request as CSV").click()
    assert download.value.suggested_filename == "marker-requests.csv"
    page.goto(f"{live_server.url}/casework/markers/")
    page.get_by_role("button", name="Record acknowledgement").click()
    page.wait_for_selector(".govuk-error-summary")
    check_page(page)
    page.get_by_label("Police reference").fill("ASC-MK-2025-0042")
    page.get_by_role("button", name="Record acknowledgement").click()
    page.wait_for_selector("text=is acknowledged")
    assert MarkerRequest.objects.get().police_reference == "ASC-MK-2025-0042"
    assert page.get_by_text("There are no marker requests to act on.").is_visible()
