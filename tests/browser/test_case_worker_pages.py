"""Case workers in headless Chromium: the search (with htmx), the person, school, address and family pages.
Every page is axe-clean (WCAG 2.2 AA and best practices, `region` included) and does not scroll sideways
at 320 CSS pixels. Screenshots go to docs/screenshots/ for people to look at."""

from datetime import date

import pytest

from apps.audit.models import AuditEvent
from apps.people.models import PersonAlias
from apps.sources.models import Dataset
from tests import factories
from tests.browser.checks import assert_accessible, check_page, shot_narrow
from tests.browser.conftest import login, logout
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def search(page, query, *, purpose=None, reference=None):
    page.fill("#q", query)
    if purpose is not None:
        page.select_option("#purpose", purpose)
    if reference is not None:
        page.fill("#reference", reference)
    with page.expect_response(lambda r: "/people/?" in r.url):
        page.click("button:has-text('Search')")


def test_key_worker_journey(browser_page, live_server, make_user):
    fam = factories.family(reference="F000123")
    make_user("key-worker")
    page = browser_page
    login(page, live_server, "key_worker", PASSWORD)

    search(page, "Jak Smyth", purpose="Safeguarding enquiry")
    page.wait_for_selector("text=found")
    assert page.locator("table.govuk-table").get_by_text("SMITH, Jack").count() == 1
    check_page(page, "01-search")
    shot_narrow(page, "21-search-320px")

    page.click("text=SMITH, Jack")
    page.wait_for_selector("h1:has-text('Jack')")
    assert page.get_by_text("Child Persistently Absent").count() >= 1
    assert page.get_by_text("Risk of NEET").count() >= 1
    check_page(page, "02-person")
    shot_narrow(page, "22-person-320px")

    page.click("text=School and attendance")
    page.wait_for_selector("caption:has-text('Monthly attendance')")
    assert page.get_by_text("Notton House Academy").count() >= 1
    assert page.locator("tfoot").inner_text().split()[-3:] == ["25", "88", "28.4%"]
    check_page(page, "03-school-attendance")

    page.click("text=Indicators and identity")
    page.click("a:has-text('F000123')")
    page.wait_for_selector("h1:has-text('Family F000123')")
    assert page.get_by_text("Claire Mackey").count() == 1
    assert page.get_by_text("Eligible", exact=True).count() == 1
    check_page(page, "04-family")

    page.click("text=Address history")
    page.wait_for_selector("h2:has-text('Address history of the family')")
    assert page.get_by_text("Overlaps").count() >= 1
    check_page(page, "05-family-addresses")

    page.goto(f"{live_server.url}/people/person/{fam['mum'].pk}/addresses/")
    check_page(page, "06-person-addresses")

    actions = list(AuditEvent.objects.filter(username="key_worker").order_by("id").values_list("action", flat=True))
    assert actions[1:] == ["search", "view_person", "view_attendance", "view_person", "view_family", "view_addresses", "view_addresses"]


def test_search_errors_show_under_htmx(browser_page, live_server, make_user):
    """A search with no reason, an empty search, and a First Response search with no call reference each
    show the error summary and the field's error, with focus on the summary; nothing is searched."""
    factories.family(reference="F000124")
    make_user("key-worker")
    make_user("first-response")
    page = browser_page
    login(page, live_server, "key_worker", PASSWORD)

    search(page, "Jack Smith")
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Choose the reason for this search" in summary.inner_text()
    assert page.locator("#purpose-error").is_visible()
    page.wait_for_function("document.activeElement.classList.contains('govuk-error-summary')")  # moved after the swap settles
    assert page.locator("h1").count() == 1 and page.locator("#search").count() == 1
    check_page(page, "18-search-error")

    search(page, "", purpose="Safeguarding enquiry")
    page.wait_for_selector("#q-error")
    assert "Enter a name, date of birth" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#purpose-error").count() == 0
    logout(page)

    login(page, live_server, "first_response", PASSWORD)
    search(page, "Smith")
    page.wait_for_selector("#reference-error")
    assert "Enter the call or referral reference" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    search(page, "Smith", reference="CR-2026-00123")
    page.wait_for_selector("text=found")
    assert page.locator(".govuk-error-summary").count() == 0
    assert not AuditEvent.objects.filter(action="search", username="key_worker").exists()
    assert AuditEvent.objects.filter(action="search", username="first_response").count() == 1


def test_year_narrows_alias_says_so_breadcrumb_keeps_the_search_and_reason_is_shown(browser_page, live_server, make_user):
    home = factories.address()
    born_2011 = [factories.person(forename=f"Sam{chr(65 + i)}", surname="Smith", dob=date(2011, 1 + i % 12, 1 + i), addr=home)
                 for i in range(21)]
    for year in (1980, 1995, 2009, 2012):
        factories.person(forename="Other", surname="Smith", dob=date(year, 5, 5))
    factories.person(forename="Unknown", surname="Smith", dob=None)
    jones = factories.person(forename="Kerry", surname="Jones", dob=date(1988, 6, 1))
    PersonAlias.objects.create(person=jones, forename="Kerry", surname="Smithson", dataset=Dataset.objects.get(code="bcc-council-tax"))
    make_user("key-worker")
    page = browser_page
    login(page, live_server, "key_worker", PASSWORD)

    search(page, "smith 2011", purpose="Referral or assessment")
    page.wait_for_selector("h2:has-text('22 people found')")  # 21 born in 2011, and the one whose date of birth is not known
    assert "Other" not in page.locator("#results").inner_text()
    check_page(page)
    page.click("a[rel=next]")
    page.wait_for_selector("text=Page 2 of 2")
    last_row = page.locator("#results tbody tr").last.inner_text()
    assert "Unknown" in last_row and "Not known" in last_row  # an unknown date of birth ranks after the known ones
    page.locator("#results tbody a", has_text="SMITH").first.click()
    page.wait_for_selector("h1")
    page.click(".govuk-breadcrumbs a:has-text('Search')")
    page.wait_for_selector("text=Page 2 of 2")
    assert page.input_value("#q") == "smith 2011"
    assert "page=2" in page.url

    page.click("nav[aria-label='Primary navigation'] a:has-text('Search')")
    page.wait_for_selector("#q")
    assert page.input_value("#purpose") == "Referral or assessment"
    assert page.locator("#purpose-hint").inner_text().startswith("Kept from your last search")
    search(page, "Kerry Smithson")
    page.wait_for_selector("text=found")
    row = page.locator("#results tbody tr", has_text="JONES, Kerry").inner_text()
    assert "Found under another name: Kerry Smithson" in row
    check_page(page, "19-search-alias")
    assert born_2011[0].pk


def test_no_search_survives_sign_out_in_session_storage(browser_page, live_server, make_user):
    """htmx keeps no history snapshot; going back re-reads the whole page from the server; sign-out clears the rest."""
    factories.family(reference="F000125")
    factories.person(forename="Tom", surname="Watson", dob=date(2012, 2, 2))
    make_user("key-worker")
    page = browser_page
    login(page, live_server, "key_worker", PASSWORD)

    search(page, "Jack Smith", purpose="Safeguarding enquiry")
    page.wait_for_selector("text=SMITH, Jack")
    search(page, "Tom Watson")
    page.wait_for_selector("text=WATSON, Tom")
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
    page.go_back()
    page.wait_for_selector("text=SMITH, Jack")
    assert page.locator("h1").count() == 1 and page.locator("header").count() == 1  # a whole page, never a bare fragment
    assert page.input_value("#q") == "Jack Smith"
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None

    logout(page)
    stored = page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")
    assert stored == "{}", stored
