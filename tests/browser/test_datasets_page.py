"""The datasets page in headless Chromium, as the data custodian: the list, a dataset's definition and history,
and defining a new dataset with the agency's own header names through the form. Each page is axe-clean and does
not scroll sideways at 320 CSS pixels."""

import pytest

from apps.sources.models import Dataset
from tests.browser.checks import check_page
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_custodian_defines_a_dataset_on_the_page(browser_page, live_server, make_user):
    make_user("data-custodian")
    page = browser_page
    login(page, live_server, "data_custodian", PASSWORD)

    page.goto(f"{live_server.url}/imports/datasets/")
    page.wait_for_selector("h1:has-text('Datasets')")
    assert page.locator("#datasets tbody tr").count() == Dataset.objects.count()
    check_page(page, "23-datasets")

    page.click("a:has-text('Define a new dataset')")
    page.wait_for_selector("h1:has-text('Define a new dataset')")
    check_page(page)
    page.click("button:has-text('Define the dataset')")  # nothing filled in: errors, nothing written
    page.wait_for_selector(".govuk-error-summary")
    assert "Enter the dataset's code" in page.locator(".govuk-error-summary").inner_text()
    check_page(page)

    page.fill("#id_code", "bcc-family-support-line")
    page.fill("#id_name", "Family support line calls")
    page.select_option("#id_provider", "BCC")
    page.select_option("#id_section", "service-involvement")
    page.select_option("#id_category", "service-involvement")
    page.check("#id_gateways_0")
    page.select_option("#id_date_format", "%d-%m-%Y")
    page.check("#id_bad_rows_1")  # quarantine
    page.fill("#id_col-0-agency_header", "Client Ref")
    page.fill("#id_col-3-agency_header", "Family Name")
    page.fill("#id_col-8-name", "event_date")
    page.select_option("#id_col-8-type", "date")
    page.check("#id_col-8-required")
    page.fill("#id_col-8-agency_header", "Call Date")
    page.fill("#id_col-9-name", "event_type")
    page.check("#id_col-9-required")
    page.fill("#id_evt-0-code", "DV")
    page.select_option("#id_evt-0-indicator", "victim-of-dva")
    page.click("button:has-text('Define the dataset')")
    page.wait_for_selector("h1:has-text('Family support line calls')")
    assert "Dataset bcc-family-support-line defined" in page.locator(".govuk-notification-banner").inner_text()
    assert "Family Name" in page.locator("#columns").inner_text()
    assert "by data_custodian" in page.locator("#versions").inner_text()
    check_page(page, "24-dataset")

    descriptor = Dataset.objects.get(code="bcc-family-support-line").descriptor
    assert descriptor["bad_rows"] == "quarantine" and descriptor["date_format"] == "%d-%m-%Y"
    assert {f["name"]: f.get("agency_header") for f in descriptor["schema"]["fields"]}["event_date"] == "Call Date"
    assert descriptor["event_types"] == [{"code": "DV", "indicator": "victim-of-dva"}]
