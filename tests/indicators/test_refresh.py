"""The refresh run: atomic, idempotent, incremental, recorded; the command; a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from apps.indicators import refresh as refresh_module
from apps.indicators.models import FamilyCriteria, PersonIndicator, RefreshRun
from apps.indicators.services import indicators_refresh
from tests import factories

AS_OF = date(2025, 3, 1)


def _state():
    indicators = set(PersonIndicator.objects.values_list("person_id", "definition__code", "indicator_date", "value", "notes"))
    criteria = set(FamilyCriteria.objects.values_list("family_id", "problem_count", "is_eligible", "reasons_text"))
    return indicators, criteria


def _troubled_family(build, name="Jack"):
    mum = build.person(forename=f"{name}Mum", dob=date(1985, 1, 1), sex="F")
    child = build.person(forename=name, dob=date(2011, 3, 12))
    family = build.family((mum, "parent"), (child, "child"))
    factories.indicator(mum, "out-of-work-benefits")
    return family, mum, child


def test_refresh_interrupted_half_way_changes_nothing(build, monkeypatch):
    family, mum, child = _troubled_family(build)
    indicators_refresh(as_of=AS_OF)
    before = _state()
    assert not FamilyCriteria.objects.get(family=family).is_eligible

    build.year_of_attendance(child, 500)  # would add SCHOOL and make the family eligible

    def fail(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(refresh_module, "family_criteria_rebuild", fail)  # after derived and risk rows were rewritten
    with pytest.raises(RuntimeError, match="worker lost"):
        indicators_refresh(as_of=AS_OF)

    assert _state() == before
    failed = RefreshRun.objects.order_by("-pk").first()
    assert failed.status == RefreshRun.Status.FAILED and failed.error == "RuntimeError: worker lost"
    assert failed.duration_seconds is not None


def test_refresh_is_idempotent_and_records_what_changed(build):
    family, mum, child = _troubled_family(build)
    build.year_of_attendance(child, 500)

    first = indicators_refresh(as_of=AS_OF)
    assert first.status == RefreshRun.Status.SUCCEEDED
    assert first.added == {"school": 1} and first.removed == {}
    assert first.newly_eligible == [family.reference]
    state = _state()

    second = indicators_refresh(as_of=AS_OF)
    assert _state() == state
    assert (second.added, second.removed, second.newly_eligible) == ({}, {}, [])


def test_incremental_refresh_of_one_family_leaves_the_others_alone(build):
    family, mum, child = _troubled_family(build, "Jack")
    other, other_mum, other_child = _troubled_family(build, "Amy")
    indicators_refresh(as_of=AS_OF)
    build.year_of_attendance(child, 500)
    build.year_of_attendance(other_child, 500)

    run = indicators_refresh(family_reference=family.reference, as_of=AS_OF)

    assert run.scope == RefreshRun.Scope.FAMILY and run.family_reference == family.reference
    assert run.newly_eligible == [family.reference] and run.added == {"school": 1}
    assert FamilyCriteria.objects.get(family=family).is_eligible
    assert not FamilyCriteria.objects.get(family=other).is_eligible
    assert not PersonIndicator.objects.filter(person=other_child, definition__code="child-persistently-absent").exists()


def test_command_reports_progress_and_refuses_an_unknown_family(build, capsys):
    _troubled_family(build)
    call_command("refresh_indicators", "--as-of", "2025-03-01")
    out = capsys.readouterr().out
    assert "[refresh] derived: indicator child-persistently-absent, people 0" in out
    assert "families: 1, eligible 0" in out
    with pytest.raises(CommandError, match="No family with reference 'F-NOPE'"):
        call_command("refresh_indicators", "--family", "F-NOPE")


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_on_redis_runs_the_refresh():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: no Redis broker for a real Celery worker (CI sets it)")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a server database it can share with the test (set DATABASE_URL)")
    from tests.indicators.conftest import Build

    build = Build()
    family, mum, child = _troubled_family(build)
    build.year_of_attendance(child, 500)

    db = connection.settings_dict
    database_url = (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                    f"/{db['NAME']}")
    queue = f"indicators-test-{uuid.uuid4().hex[:8]}"
    env = os.environ | {"DATABASE_URL": database_url, "CELERY_TASK_ALWAYS_EAGER": "0"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "thinkfamily", "worker", "--pool=solo", "--concurrency=1",
         "-Q", queue, "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(settings.BASE_DIR), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        from apps.indicators.tasks import refresh_indicators_task

        assert not refresh_indicators_task.app.conf.task_always_eager
        result = refresh_indicators_task.apply_async(kwargs={"as_of": AS_OF.isoformat()}, queue=queue)
        outcome = result.get(timeout=180)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert outcome["status"] == "succeeded" and outcome["newly_eligible"] == 1
    run = RefreshRun.objects.get(pk=outcome["run"])
    assert run.newly_eligible == [family.reference]
    assert FamilyCriteria.objects.get(family=family).is_eligible
    assert PersonIndicator.objects.filter(person=child, definition__code="child-persistently-absent").exists()
