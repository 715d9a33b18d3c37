"""The flow end to end: a generated extract goes through import, matching and the indicator refresh,
and the orchestrator (thinkfamily/orchestration.py) starts each stage after the one before as DESIGN.md
says (a match run refreshes the indicators; an uploaded extract is linked incrementally and then
refreshes them), and only after a stage that succeeded."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from apps.indicators.models import FamilyCriteria, RefreshRun
from apps.matching import services as matching
from apps.matching.models import MatchRun
from apps.people.models import Family, Person
from apps.sources.models import Dataset, ImportBatch, SourceRecord
from apps.sources.services import import_batch_create
from thinkfamily.orchestration import extract_link_task, match_run_task, upload_load_task

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


def test_an_upload_that_is_not_loaded_is_not_linked_or_refreshed(tmp_path):
    MatchRun.objects.create(kind=MatchRun.Kind.FULL, status=MatchRun.Status.COMPLETED, model={"trained": True},
                            match_threshold=0.99, review_threshold=0.8)  # an incremental run could start
    batch = import_batch_create(dataset=Dataset.objects.get(code="asc-offenders"), filename="bad.csv")
    path = tmp_path / "bad.csv"
    path.write_bytes(b"not,the,columns\r\n1,2,3\r\n")

    assert upload_load_task(batch.pk, str(path)) == ImportBatch.Status.FAILED
    assert not path.exists()

    path.write_bytes(b"redelivered")  # the same message again: the batch has its outcome, nothing more happens
    assert upload_load_task(batch.pk, str(path)).startswith("skipped")
    assert not path.exists()
    assert not MatchRun.objects.filter(kind=MatchRun.Kind.INCREMENTAL).exists()
    assert not RefreshRun.objects.exists()


def test_a_match_run_that_does_not_complete_is_not_followed_by_a_refresh(db):
    outcome = extract_link_task(Dataset.objects.get(code="asc-offenders").pk)  # no full run yet: nothing to link into

    assert outcome.startswith("skipped: No completed full run")
    assert not RefreshRun.objects.exists()


def test_a_worker_registers_every_task_the_schedule_and_the_orchestrator_name():
    """What a worker imports at start (its default modules and autodiscovery), checked in a process of its own."""
    probe = ("import json; from thinkfamily.celery import app; app.loader.import_default_modules(); "
             "print(json.dumps(sorted(app.tasks)))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=Path(settings.BASE_DIR), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    registered = set(json.loads(result.stdout.strip().splitlines()[-1]))

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    chained = {f"thinkfamily.orchestration.{name}" for name in
               ("upload_load_task", "extract_link_task", "match_run_task", "nightly_full_match_task")}
    queued_by_the_last_release = {"apps.sources.tasks.import_batch_load_task", "apps.matching.tasks.match_run_task",
                                  "apps.matching.tasks.link_new_extract_task", "apps.matching.tasks.nightly_full_match_task"}
    assert scheduled | chained | queued_by_the_last_release <= registered
