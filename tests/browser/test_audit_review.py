"""A key worker searches and opens a person; an audit reviewer then finds that search (with its terms
and purpose) and sees who has looked at the person. axe-core checks the reviewer pages."""

import pytest

from tests import factories
from tests.browser.checks import check_page
from tests.browser.conftest import login, logout
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_finds_the_search_and_the_view(browser_page, live_server, make_user):
    fam = factories.family(reference="F000456")
    child = fam["child"]
    make_user("key-worker")
    make_user("audit-reviewer")
    page = browser_page

    login(page, live_server, "key_worker", PASSWORD)
    page.fill("#q", "Jack Smith 12/03/2011")
    page.select_option("#purpose", "Referral or assessment")
    page.click("button:has-text('Search')")
    page.click("text=SMITH, Jack")
    page.wait_for_selector("h1:has-text('Jack')")
    logout(page)

    login(page, live_server, "audit_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/audit/?username=key_worker")
    table = page.locator("table.govuk-table").first
    table.wait_for()
    text = table.inner_text()
    assert "Jack Smith 12/03/2011" in text and "Referral or assessment" in text
    assert "View person" in text and f"person {child.pk}" in text
    check_page(page, "07-audit-events")

    page.click(f"a:has-text('person {child.pk}')")
    page.wait_for_selector("h1")
    assert "key_worker" in page.locator("main").inner_text()
    check_page(page, "08-audit-who-looked")
