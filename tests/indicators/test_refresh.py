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
from django.urls import reverse

from apps.indicators import refresh as refresh_module
from apps.indicators import services as refresh_services
from apps.indicators.models import FamilyCriteria, PersonIndicator, RefreshRun
from apps.indicators.services import indicators_refresh
from tests import factories
from tests.worker_locks import dead_worker, live_worker, lock_held_by_another_session
from thinkfamily import worker_lock
from thinkfamily.orchestration import dead_runs_mark_task

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


# --- a refresh whose process died ------------------------------------------------------


def _left_running(worker: str) -> RefreshRun:
    """A refresh row as a killed process leaves it: "running", nobody holding its lock."""
    return RefreshRun.objects.create(scope=RefreshRun.Scope.FULL, as_of=AS_OF, worker=worker)


def test_a_killed_refresh_is_marked_failed_by_the_next_refresh(build):
    family, mum, child = _troubled_family(build)
    killed = _left_running(dead_worker())

    run = indicators_refresh(as_of=AS_OF)

    killed.refresh_from_db()
    assert killed.status == RefreshRun.Status.FAILED and killed.finished_at is not None
    assert killed.error.startswith("worker stopped: no process holds the run's lock")
    assert run.status == RefreshRun.Status.SUCCEEDED
    assert FamilyCriteria.objects.filter(family=family).exists()


def test_a_killed_refresh_is_marked_failed_by_the_scheduled_check(db, client_as):
    killed = _left_running(dead_worker())
    assert client_as("analyst").get(reverse("indicators:insights")).status_code == 200
    killed.refresh_from_db()
    assert killed.status == RefreshRun.Status.RUNNING  # reading the page writes nothing

    assert dead_runs_mark_task() == {"loads": 0, "match_runs": 0, "refreshes": 1, "held_files": 0}

    killed.refresh_from_db()
    assert killed.status == RefreshRun.Status.FAILED
    assert killed.error.startswith(refresh_services.DEAD_RUN_REASON)


def test_a_live_refresh_is_not_marked_failed(build, client_as):
    live = _left_running(live_worker())

    with lock_held_by_another_session(refresh_services._RUN_LOCK_NAMESPACE, live.pk) as holder_dies:
        client_as("analyst").get(reverse("indicators:insights"))
        assert refresh_services.refresh_runs_dead_mark() == []
        live.refresh_from_db()
        assert live.status == RefreshRun.Status.RUNNING

        holder_dies()  # PostgreSQL: the worker's connection ends, and its lock with it
        if connection.vendor == "postgresql":
            assert refresh_services.refresh_runs_dead_mark() == [live]


def test_a_refresh_holds_its_lock_while_it_runs(build):
    """Seen from another session (PostgreSQL) or by its process id (SQLite) while it works, the refresh is alive."""
    _troubled_family(build)
    seen = {}

    def look(stage, **figures):
        if stage == "cleared":
            run = RefreshRun.objects.get(status=RefreshRun.Status.RUNNING)
            seen["alive"] = _alive_seen_from_outside(run)

    indicators_refresh(as_of=AS_OF, progress=look)
    assert seen == {"alive": True}


def _alive_seen_from_outside(run: RefreshRun) -> bool:
    if connection.vendor != "postgresql":
        with worker_lock.unless_worker_alive(refresh_services._RUN_LOCK_NAMESPACE, run.pk, worker=run.worker) as dead:
            return not dead
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        cursor = other.cursor()
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [refresh_services._RUN_LOCK_NAMESPACE, run.pk])
        return not cursor.fetchone()[0]
    finally:
        other.close()
