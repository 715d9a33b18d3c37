"""The programme frameworks page in headless Chromium, as the programme manager: the list, one framework's
headlines, needs, indicators and measures, and making it the active framework. Each page is axe-clean and does not
scroll sideways at 320 CSS pixels."""

import pytest

from apps.casework import framework_views
from apps.indicators.models import Framework
from tests.browser.checks import check_page
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_programme_manager_reads_and_activates_a_framework(browser_page, live_server, make_user, monkeypatch):
    queued = []
    monkeypatch.setattr(framework_views.refresh_indicators_task, "delay", lambda *a, **kw: queued.append(a))
    make_user("programme-manager")
    page = browser_page
    login(page, live_server, "programme_manager", PASSWORD)

    page.goto(f"{live_server.url}/casework/frameworks/")
    page.wait_for_selector("h1:has-text('Programme frameworks')")
    assert page.locator("#frameworks tbody tr").count() == 2
    check_page(page)

    page.click("a:has-text('National Supporting Families Outcome Framework (2022)')")
    page.wait_for_selector("h2:has-text('Secure housing')")
    assert page.locator("h2.govuk-heading-m").count() == 10
    check_page(page)

    page.click("button:has-text('Make this the active framework')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "is now the active framework" in page.locator(".govuk-notification-banner").inner_text()
    check_page(page)
    assert Framework.objects.get(is_active=True).code == "2022-national" and queued == [()]
