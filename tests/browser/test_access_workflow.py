"""A new user asks for the key worker role, the custodian approves it, the user can search;
when the grant expires they cannot."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import AccessGrant
from tests.browser.conftest import login, logout
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_request_approve_search_then_expiry(browser_page, live_server, make_user):
    make_user(None, "new_starter")
    make_user("data-custodian")
    page = browser_page

    login(page, live_server, "new_starter", PASSWORD)
    assert page.get_by_text("You do not have an active role").is_visible()
    page.click("text=Ask the data custodian for a role")
    page.select_option("#id_role", "key-worker")
    page.fill("#id_justification", "Families in Focus key worker, North locality")
    page.fill("#id_line_manager", "Ann Manager, North team")
    page.click("button:has-text('Send request')")
    page.wait_for_selector("text=Your request has been sent")
    assert page.locator("table").get_by_text("Requested").is_visible()
    logout(page)

    login(page, live_server, "data_custodian", PASSWORD)
    page.goto(f"{live_server.url}/accounts/custodian/")
    page.click("#waiting-requests a:has-text('Decide')")
    page.wait_for_selector("h1:has-text('asks for the role Key worker')")
    page.click("#approve")
    page.wait_for_selector("text=new_starter now has the role Key worker")
    assert page.locator("#active-grants tbody tr", has_text="new_starter").count() == 1
    logout(page)

    login(page, live_server, "new_starter", PASSWORD)
    page.goto(f"{live_server.url}/people/")
    assert page.locator("h1").first.inner_text().strip() != "Not Found"
    assert page.locator("nav[aria-label='Primary navigation']").get_by_text("Search").is_visible()
    assert page.locator("#q").is_visible()

    AccessGrant.objects.filter(user__username="new_starter").update(expires_at=timezone.now() - timedelta(seconds=1))
    response = page.goto(f"{live_server.url}/people/")
    assert response.status == 404
    page.goto(f"{live_server.url}/")
    assert page.get_by_text("You do not have an active role").is_visible()
