"""The flow end to end: a generated extract goes through import, matching and the indicator refresh,
and each stage triggers the next as DESIGN.md says (a match run refreshes the indicators; an uploaded
extract is linked incrementally and then refreshes them)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from apps.indicators.models import FamilyCriteria, RefreshRun
from apps.matching import services as matching
from apps.matching.models import MatchRun
from apps.matching.tasks import match_run_task
from apps.people.models import Family, Person
from apps.sources.models import ImportBatch, SourceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tasks_run_in_process():
    from thinkfamily.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_import_match_refresh_and_an_uploaded_extract_flow_through(tmp_path, client_as, django_capture_on_commit_callbacks):
    out = tmp_path / "extract"
    call_command("synth", scale="small", seed=7, out=str(out))
    call_command("import_all", str(out))
    assert ImportBatch.objects.filter(status="loaded").count() == 35

    run = matching.match_run_create(kind=MatchRun.Kind.FULL)
    assert match_run_task(run.pk) == MatchRun.Status.COMPLETED
    assert Person.objects.count() > 1500 and Family.objects.count() > 300
    assert not SourceRecord.objects.filter(person__isnull=True).exists()
    assert RefreshRun.objects.filter(status=RefreshRun.Status.SUCCEEDED).count() == 1  # triggered by the match run
    assert FamilyCriteria.objects.filter(is_eligible=True).exists()

    # a newer extract of one dataset, uploaded by the custodian: loaded, linked incrementally, refreshed
    call_command("synth", scale="small", seed=8, out=str(tmp_path / "newer"))
    newer = (tmp_path / "newer" / "asc-missing-persons.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):  # the upload starts its task once the request commits
        response = client_as("data-custodian").post(
            reverse("sources:upload"),
            {"dataset": "asc-missing-persons", "file": SimpleUploadedFile("asc-missing-persons.csv", newer, "text/csv")},
        )
    assert response.status_code == 302
    batch = ImportBatch.objects.filter(dataset__code="asc-missing-persons").latest("created_at")
    assert batch.status == "loaded" and batch.is_current
    incremental = MatchRun.objects.get(kind=MatchRun.Kind.INCREMENTAL)
    assert incremental.status == MatchRun.Status.COMPLETED
    assert not SourceRecord.objects.filter(batch=batch, person__isnull=True).exists()
    assert RefreshRun.objects.filter(status=RefreshRun.Status.SUCCEEDED).count() == 2
