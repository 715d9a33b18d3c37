"""The upload door, the batch page with its progress fragment, and the data-quality report."""

from __future__ import annotations

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.sources.models import Dataset, ImportBatch, SourceRecord
from tests.sources.test_import import DATASET, extract_bytes

PAGES = ("sources:batches", "sources:upload", "sources:quality")


@pytest.fixture(autouse=True)
def tasks_run_in_process():
    """Run the upload's Celery task in the test process, as the embedded default does, even with REDIS_URL set."""
    from thinkfamily.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.mark.parametrize("role", ["data-custodian", "analyst"])
def test_import_roles_see_the_pages(client_as, role):
    client = client_as(role)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name


@pytest.mark.parametrize("role", ["key-worker", "social-worker", "audit-reviewer", None])
def test_other_roles_get_not_found(client_as, role, db):
    client = client_as(role)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 404, name
    batch = ImportBatch.objects.create(dataset=Dataset.objects.get(code=DATASET), filename="x.csv")
    assert client.get(reverse("sources:batch", args=[batch.pk])).status_code == 404
    assert client.get(reverse("sources:batch_progress", args=[batch.pk])).status_code == 404


def test_signed_out_is_sent_to_login(client, db):
    response = client.get(reverse("sources:upload"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def upload(client, content: bytes, dataset: str = DATASET):
    return client.post(
        reverse("sources:upload"),
        {"dataset": dataset, "file": SimpleUploadedFile("offenders.csv", content, content_type="text/csv")},
    )


def test_upload_hands_the_file_to_the_task_and_shows_the_batch(client_as, users, django_capture_on_commit_callbacks):
    client = client_as("data-custodian")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(client, extract_bytes(rows=7))
    assert len(callbacks) == 1  # the load waits for the batch to be committed
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("sources:batch", args=[batch.pk])
    assert batch.status == ImportBatch.Status.LOADED and batch.uploaded_by == users["data-custodian"]
    assert SourceRecord.objects.filter(batch=batch).count() == 7

    page = client.get(response["Location"]).content.decode()
    assert 'id="rows-loaded">7<' in page and "Loaded" in page
    fragment = client.get(reverse("sources:batch_progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert 'id="rows-validated">7<' in fragment.content.decode() and "hx-trigger" not in fragment.content.decode()
    assert fragment["HX-Refresh"] == "true"


def test_pending_batch_page_polls_its_progress(client_as):
    client = client_as("analyst")
    batch = ImportBatch.objects.create(dataset=Dataset.objects.get(code=DATASET), filename="waiting.csv")
    page = client.get(reverse("sources:batch", args=[batch.pk])).content.decode()
    assert f'hx-get="{reverse("sources:batch_progress", args=[batch.pk])}"' in page and 'hx-trigger="every 2s"' in page


def test_refused_upload_lists_its_problems_on_the_batch_page(client_as, django_capture_on_commit_callbacks):
    client = client_as("data-custodian")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, extract_bytes(rows=3, changes={2: {"date_of_birth": "30/02/2011"}}))
    page = client.get(response["Location"]).content.decode()
    assert "Failed" in page and "nothing was loaded" in page
    assert "<td class=\"govuk-table__cell\">2</td><td class=\"govuk-table__cell\">date_of_birth</td>" in page
    assert not SourceRecord.objects.exists()


def test_upload_form_errors_are_shown(client_as):
    response = client_as("data-custodian").post(reverse("sources:upload"), {"dataset": DATASET})
    assert response.status_code == 200 and "Choose the CSV file to upload" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_quality_report_shows_each_dataset_and_missing_identifiers(client_as, django_capture_on_commit_callbacks):
    client = client_as("data-custodian")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, extract_bytes(rows=4, changes={1: {"ni_number": ""}, 2: {"ni_number": ""}}))
    page = client.get(reverse("sources:quality")).content.decode()
    assert page.count('<th scope="row" class="govuk-table__header"><a class="govuk-link"') == 35
    assert "ni_number 50.0%" in page and "Never loaded" in page


# --- an earlier extract made current again -------------------------------------------


@pytest.fixture
def upload_dirs(tmp_path, monkeypatch):
    from apps.sources import services

    monkeypatch.setattr(services, "UPLOAD_DIR", tmp_path / "uploads")
    monkeypatch.setattr(services, "HELD_DIR", tmp_path / "uploads" / "held")
    return tmp_path / "uploads"


def test_the_scheduled_check_removes_a_held_file_kept_longer_than_its_days(upload_dirs, settings, db):
    from thinkfamily.orchestration import dead_runs_mark_task

    settings.IMPORT_HELD_FILE_DAYS = 7
    (upload_dirs / "held").mkdir(parents=True)
    old, recent = upload_dirs / "held" / "1.csv", upload_dirs / "held" / "2.csv"
    old.write_text("source_key\n"), recent.write_text("source_key\n")
    eight_days_ago = time.time() - 8 * 24 * 3600
    os.utime(old, (eight_days_ago, eight_days_ago))

    assert dead_runs_mark_task()["held_files"] == 1

    assert not old.exists() and recent.exists()


def uploaded(client, content: bytes, capture) -> ImportBatch:
    with capture(execute=True):
        response = upload(client, content)
    return ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def keys_in_use() -> set[str]:
    return set(SourceRecord.objects.filter(dataset__code=DATASET).values_list("source_key", flat=True))


def an_extract_not_in_use_uploaded_again(client, capture) -> ImportBatch:
    """Extract A, then B, then A again: the DUPLICATE batch of A's file, whose extract is not in use."""
    first_file = extract_bytes(rows=3, key_prefix="A")
    uploaded(client, first_file, capture)
    uploaded(client, extract_bytes(rows=4, key_prefix="B"), capture)
    return uploaded(client, first_file, capture)


def test_an_earlier_extract_is_known_and_can_be_made_current_again(client_as, upload_dirs, django_capture_on_commit_callbacks):
    from apps.audit.models import AuditEvent

    custodian = client_as("data-custodian")
    first_file, second_file = extract_bytes(rows=3, key_prefix="A"), extract_bytes(rows=4, key_prefix="B")
    first = uploaded(custodian, first_file, django_capture_on_commit_callbacks)
    second = uploaded(custodian, second_file, django_capture_on_commit_callbacks)
    assert keys_in_use() == {f"B{n:07d}" for n in range(1, 5)}

    again = uploaded(custodian, first_file, django_capture_on_commit_callbacks)

    assert again.status == ImportBatch.Status.DUPLICATE
    assert f"loaded as batch {first.pk}" in again.failure_reason and "not in use" in again.failure_reason
    assert f"batch {second.pk} (offenders.csv" in again.failure_reason
    assert keys_in_use() == {f"B{n:07d}" for n in range(1, 5)}  # nothing changed yet
    page = custodian.get(reverse("sources:batch", args=[again.pk])).content.decode()
    assert "A known file, not in use" in page and "Make this extract current again" in page
    assert custodian.get(reverse("sources:batch_make_current", args=[again.pk])).status_code == 405  # POST only

    with django_capture_on_commit_callbacks(execute=True):
        response = custodian.post(reverse("sources:batch_make_current", args=[again.pk]))

    made = ImportBatch.objects.latest("pk")
    assert response["Location"] == reverse("sources:batch", args=[made.pk])
    assert (made.status, made.is_current, made.reinstates_id) == (ImportBatch.Status.LOADED, True, first.pk)
    assert keys_in_use() == {f"A{n:07d}" for n in range(1, 4)}
    second.refresh_from_db()
    assert not second.is_current and second.status == ImportBatch.Status.LOADED
    request_event = AuditEvent.objects.get(action="import", subject_id=str(made.pk), details__request="make current again")
    assert request_event.username == "data_custodian"
    assert request_event.details["duplicate_batch"] == again.pk and request_event.details["reinstates_batch"] == first.pk
    load_event = AuditEvent.objects.get(action="import", subject_id=str(made.pk), details__status="loaded")
    assert load_event.details["makes_current_again"] == first.pk
    assert not any(upload_dirs.rglob("*.csv"))  # the kept file went into the load and was removed
    assert "makes the extract of" in custodian.get(reverse("sources:batch", args=[made.pk])).content.decode()

    # a second press has nothing left to do
    response = custodian.post(reverse("sources:batch_make_current", args=[again.pk]), follow=True)
    assert "already the dataset&#x27;s current extract" in response.content.decode()
    assert ImportBatch.objects.latest("pk") == made


def test_a_second_press_before_the_load_runs_leaves_no_stray_batch(client_as, upload_dirs, django_capture_on_commit_callbacks):
    custodian = client_as("data-custodian")
    again = an_extract_not_in_use_uploaded_again(custodian, django_capture_on_commit_callbacks)

    custodian.post(reverse("sources:batch_make_current", args=[again.pk]))  # queued; its load has not run yet
    made = ImportBatch.objects.latest("pk")
    assert made.status == ImportBatch.Status.PENDING and made.reinstates_id is not None
    response = custodian.post(reverse("sources:batch_make_current", args=[again.pk]), follow=True)

    assert "no longer kept" in response.content.decode()
    assert ImportBatch.objects.latest("pk") == made  # no second batch waiting for a load that will never come
    assert len(list(upload_dirs.glob("*.csv"))) == 1  # the file waits for the first press's load


def test_only_the_custodian_may_make_an_extract_current_again(client_as, upload_dirs, django_capture_on_commit_callbacks):
    analyst = client_as("analyst")
    again = an_extract_not_in_use_uploaded_again(analyst, django_capture_on_commit_callbacks)

    page = analyst.get(reverse("sources:batch", args=[again.pk])).content.decode()
    assert "A known file, not in use" in page and "Make this extract current again" not in page
    assert analyst.post(reverse("sources:batch_make_current", args=[again.pk])).status_code == 404
    assert keys_in_use() == {f"B{n:07d}" for n in range(1, 5)}


def test_a_duplicate_of_the_extract_in_use_offers_nothing(client_as, upload_dirs, django_capture_on_commit_callbacks):
    custodian = client_as("data-custodian")
    content = extract_bytes(rows=3)
    first = uploaded(custodian, content, django_capture_on_commit_callbacks)
    again = uploaded(custodian, content, django_capture_on_commit_callbacks)

    assert again.failure_reason.endswith(f"loaded as batch {first.pk} on "
                                         f"{first.finished_at.astimezone().strftime('%d/%m/%Y %H:%M')} and is the dataset's "
                                         "current extract; nothing changed.")
    assert "Make this extract current again" not in custodian.get(reverse("sources:batch", args=[again.pk])).content.decode()
    assert not any(upload_dirs.rglob("*.csv"))
