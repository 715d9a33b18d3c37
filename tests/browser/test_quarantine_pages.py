"""Quarantined rows in headless Chromium: the data-quality page lists them, the data quality officer opens one,
a correction that is still wrong is shown on the form, a right one loads. Each page axe-clean, no sideways scroll
at 320 CSS pixels; the batch page shows the warning of dates that read both ways."""

from __future__ import annotations

import pytest

from apps.sources.models import Dataset, QuarantinedRow, SourceRecord
from apps.sources.services import import_batch_load
from tests.browser.checks import check_page
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import dataset_bad_rows_set
from tests.sources.test_import import DATASET, extract_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def tasks_run_in_process():
    """The match the correction queues runs in the server's process (and is skipped: no model yet)."""
    from thinkfamily.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_the_data_quality_officer_corrects_a_quarantined_row(browser_page, live_server, make_user, tmp_path):
    dataset_bad_rows_set(DATASET, 'quarantine')
    long_address = "Flat 14b, Westmorland House, " + "Very Long Building Name Without Breaks " * 3 + "12 High St"
    path = tmp_path / "offenders.csv"
    path.write_bytes(extract_bytes(rows=6, changes={
        2: {"date_of_birth": "2010-04-03", "address": long_address},
        5: {"sex": "Q", "ni_number": "QQ123456C"},
    }))
    batch = import_batch_load(dataset=Dataset.objects.get(code=DATASET), path_or_file=path)
    assert batch.rows_quarantined == 2 and batch.warnings  # every date has a day of 12 or less
    make_user("data-quality-officer")
    page = browser_page
    login(page, live_server, "data_quality_officer", PASSWORD)

    page.goto(f"{live_server.url}/imports/quality/")
    page.wait_for_selector("#quarantined-rows")
    listed = page.locator("#quarantined-rows").inner_text()
    assert "not a date in the dataset's format dd/mm/yyyy (written as yyyy-mm-dd)" in listed
    assert "2010-04-03" not in listed
    check_page(page)

    page.goto(f"{live_server.url}/imports/batches/{batch.pk}/")
    page.wait_for_selector("#warnings")
    assert "a day of 12 or less" in page.locator("#warnings").inner_text()
    assert "2 waiting" in page.locator("#rows-quarantined").inner_text()
    check_page(page)

    row = QuarantinedRow.objects.get(batch=batch, row_number=2)
    page.goto(f"{live_server.url}/imports/quality/")
    page.click(f"a[href='/imports/quality/quarantine/{row.pk}/']")
    page.wait_for_selector("h1:has-text('Quarantined row 2')")
    assert "2010-04-03" in page.locator("#raw-row").inner_text()
    check_page(page)

    page.fill("#value-date_of_birth", "12/25/2010")  # month first: still refused, with the column and reason
    page.click("button:has-text('Check and load the corrected row')")
    page.wait_for_selector(".govuk-error-summary")
    assert "month first" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#value-date_of_birth-error").is_visible()
    check_page(page)
    assert not SourceRecord.objects.filter(batch=batch, row_number=2).exists()

    page.fill("#value-date_of_birth", "03/04/2010")
    page.click("button:has-text('Check and load the corrected row')")
    page.wait_for_url("**/imports/quality/#quarantine")
    assert "Row 2 of batch" in page.locator(".govuk-notification-banner").inner_text()
    assert "1 row waiting" in page.locator("#quarantine-total").inner_text()
    check_page(page)
    assert SourceRecord.objects.filter(batch=batch, row_number=2).exists()

    other = QuarantinedRow.objects.get(batch=batch, row_number=5)
    page.goto(f"{live_server.url}/imports/quality/quarantine/{other.pk}/")
    page.click("button:has-text('Discard the row')")  # no reason: refused on the form
    page.wait_for_selector("#reason-error")
    check_page(page)
    page.fill("#reason", "Sent by mistake: the agency confirmed the person is not known to them")
    page.click("button:has-text('Discard the row')")
    page.wait_for_url("**/imports/quality/#quarantine")
    assert "No row is waiting" in page.locator("#quarantine-total").inner_text()
