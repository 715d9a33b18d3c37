"""The upload door, the batch page with its progress fragment, and the data-quality report."""

from __future__ import annotations

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
