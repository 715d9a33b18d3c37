"""The data quality officer's address queue and the gazetteer page in headless Chromium: axe-clean, no sideways
scroll at 320 CSS pixels; a decision without a choice is an error on the form, a decision leads back to the queue."""

import io

import pytest

from apps.gazetteer.models import AddressResolution
from apps.gazetteer.services import gazetteer_import
from apps.sources.models import Dataset, ImportBatch, SourceRecord
from tests.browser.checks import check_page
from tests.browser.conftest import login, logout
from tests.conftest import PASSWORD
from tests.gazetteer.conftest import gazetteer_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_address_queue_and_gazetteer_pages(browser_page, live_server, make_user):
    version = gazetteer_import(path_or_file=io.BytesIO(gazetteer_csv()), filename="llpg.csv")
    batch = ImportBatch.objects.create(dataset=Dataset.objects.get(code="bcc-council-tax"), filename="ct.csv",
                                       checksum="4" * 64)
    key = "15|||MURPHY AVENUE|BS5 6AB"
    SourceRecord.objects.create(dataset=batch.dataset, batch=batch, source_key="CT1", row_number=1, address_key=key)
    waiting = AddressResolution.objects.create(
        address_key=key, address_line="15 Murphy Avenue, Easton, Bristol", postcode="BS5 6AB", uprn="110", score=0.62,
        method="fuzzy", status="review", version=version,
        candidates=[{"uprn": "110", "score": 0.7}, {"uprn": "111", "score": 0.6}])
    for role in ("data-quality-officer", "data-custodian"):
        make_user(role)
    page = browser_page

    login(page, live_server, "data_quality_officer", PASSWORD)
    page.goto(f"{live_server.url}/addresses/")
    page.wait_for_selector("h1:has-text('Addresses to resolve')")
    check_page(page, "30-address-queue")
    page.click("a:has-text('15 Murphy Avenue')")
    page.wait_for_selector("h1:has-text('Which property is this?')")
    check_page(page, "31-address-resolution")
    page.click("button:has-text('Record decision')")
    page.wait_for_selector(".govuk-error-summary")
    assert "Choose what to do with this address" in page.locator(".govuk-error-summary").inner_text()
    check_page(page, "32-address-resolution-error")
    page.check("#decision-choose")
    page.fill("#id_uprn", "111")
    page.click("button:has-text('Record decision')")
    page.wait_for_url("**/addresses/")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.uprn) == (AddressResolution.Status.CORRECTED, "111")
    logout(page)

    login(page, live_server, "data_custodian", PASSWORD)
    page.goto(f"{live_server.url}/addresses/gazetteer/")
    page.wait_for_selector("h1:has-text('Gazetteer')")
    check_page(page, "33-gazetteer")
