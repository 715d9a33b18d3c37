"""Making an earlier extract current again, in headless Chromium: the custodian's batch page, axe-clean,
no sideways scroll at 320 px, and the button's POST loading the kept file."""

import pytest

from apps.sources import services
from apps.sources.models import Dataset, ImportBatch, SourceRecord
from tests.browser.conftest import login
from tests.browser.test_case_worker_pages import assert_accessible
from tests.conftest import PASSWORD
from tests.sources.test_import import DATASET, extract_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tasks_run_in_process():
    from thinkfamily.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_the_custodian_makes_an_earlier_extract_current_again(browser_page, live_server, make_user, tmp_path,
                                                              monkeypatch, tasks_run_in_process):
    monkeypatch.setattr(services, "UPLOAD_DIR", tmp_path / "uploads")
    monkeypatch.setattr(services, "HELD_DIR", tmp_path / "uploads" / "held")
    dataset = Dataset.objects.get(code=DATASET)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(extract_bytes(rows=3, key_prefix="A"))
    second.write_bytes(extract_bytes(rows=4, key_prefix="B"))
    earlier = services.import_batch_load(dataset=dataset, path_or_file=first)
    services.import_batch_load(dataset=dataset, path_or_file=second)
    upload = tmp_path / "again.csv"
    upload.write_bytes(first.read_bytes())
    duplicate = services.import_batch_load(dataset=dataset, path_or_file=upload)
    assert services.import_batch_file_keep(batch=duplicate, path=upload)  # as the upload task does
    make_user("data-custodian")
    page = browser_page

    login(page, live_server, "data_custodian", PASSWORD)
    page.goto(f"{live_server.url}/imports/batches/{duplicate.pk}/")
    page.wait_for_selector("h2:has-text('A known file, not in use')")
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.click("button:has-text('Make this extract current again')")
    page.wait_for_selector("#reinstates")
    made = ImportBatch.objects.latest("pk")
    assert (made.status, made.is_current, made.reinstates_id) == (ImportBatch.Status.LOADED, True, earlier.pk)
    assert f"batch {earlier.pk}" in page.locator("#reinstates").inner_text()
    assert set(SourceRecord.objects.filter(dataset=dataset).values_list("source_key", flat=True)) == {
        "A0000001", "A0000002", "A0000003"}
    assert_accessible(page)
