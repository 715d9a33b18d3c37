"""A match run whose process died is found (no process holds its lock) and marked failed; a live one is not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.matching import services
from apps.matching.models import MatchRun
from apps.sources.models import Dataset
from tests.worker_locks import dead_worker, live_worker, lock_held_by_another_session
from thinkfamily.orchestration import dead_runs_mark_task, match_run_task

NAMESPACE = services._RUN_LOCK_NAMESPACE


def left_behind(status: str, *, worker: str, stage: str = "") -> MatchRun:
    """A run row as a killed process leaves it: waiting or running, nobody holding its lock."""
    return MatchRun.objects.create(status=status, worker=worker, stage=stage, match_threshold=0.99, review_threshold=0.8)


def test_a_killed_running_run_is_marked_failed_by_the_scheduled_check(client_as):
    killed = left_behind(MatchRun.Status.RUNNING, worker=dead_worker(), stage="predict")
    client = client_as("data-quality-officer")
    client.get(reverse("matching:runs"))
    killed.refresh_from_db()
    assert killed.status == MatchRun.Status.RUNNING  # reading the page writes nothing

    assert dead_runs_mark_task() == {"loads": 0, "match_runs": 1, "refreshes": 0, "held_files": 0}
    response = client.get(reverse("matching:runs"))

    killed.refresh_from_db()
    assert killed.status == MatchRun.Status.FAILED and killed.finished_at is not None
    assert killed.failure_reason.startswith("worker stopped: no process holds the run's lock")
    assert "stage predict" in killed.failure_reason
    assert "worker stopped: no process holds the run&#x27;s lock" in response.content.decode()


def test_a_run_whose_process_died_before_it_started_is_marked_and_shown(client_as):
    taken = left_behind(MatchRun.Status.PENDING, worker=dead_worker())  # ``manage.py match`` killed before the run began

    dead_runs_mark_task()
    response = client_as("data-quality-officer").get(reverse("matching:run", args=[taken.pk]))

    taken.refresh_from_db()
    assert taken.status == MatchRun.Status.FAILED
    assert "stopped before the run started" in taken.failure_reason
    assert "worker stopped" in response.content.decode()


@pytest.mark.parametrize("status", [MatchRun.Status.RUNNING, MatchRun.Status.PENDING])
def test_the_next_run_starts_after_a_killed_one(extract, status, fixed_model):
    extract("bcc-council-tax", [dict(forename="ANN", surname="SMITH", date_of_birth="1980-01-02", postcode="BS1 4DJ")])
    killed = left_behind(status, worker=dead_worker())

    run = services.match_run_start(kind=MatchRun.Kind.FULL, model=fixed_model)

    killed.refresh_from_db()
    assert killed.status == MatchRun.Status.FAILED
    assert killed.failure_reason.startswith(services.DEAD_RUN_REASON)
    assert run.status == MatchRun.Status.COMPLETED and run.pk != killed.pk


def test_a_queued_run_whose_message_was_lost_is_replaced_by_the_next_request(db):
    lost = left_behind(MatchRun.Status.PENDING, worker="")  # queued for Celery; nobody ever took it

    # a page listing runs cannot tell a lost message from one still queued: it leaves the run alone
    assert services.match_runs_dead_mark() == []

    replacement = services.match_run_create(kind=MatchRun.Kind.FULL)

    lost.refresh_from_db()
    assert lost.status == MatchRun.Status.FAILED
    assert lost.failure_reason.startswith(services.DEAD_RUN_REASON) and "replaces it" in lost.failure_reason
    assert replacement.status == MatchRun.Status.PENDING
    # should the old message arrive after all, the worker skips the replaced run
    assert match_run_task(lost.pk).startswith("skipped: Match run")
    lost.refresh_from_db()
    assert lost.status == MatchRun.Status.FAILED


def test_a_live_run_is_not_marked_and_still_blocks_the_next(client_as):
    live = left_behind(MatchRun.Status.RUNNING, worker=live_worker(), stage="train")

    with lock_held_by_another_session(NAMESPACE, live.pk) as holder_dies:
        client_as("data-quality-officer").get(reverse("matching:runs"))
        assert services.match_runs_dead_mark(replaced_by=MatchRun.Kind.FULL) == []
        with pytest.raises(services.MatchingError, match="already waiting or running"):
            services.match_run_create(kind=MatchRun.Kind.FULL)
        live.refresh_from_db()
        assert live.status == MatchRun.Status.RUNNING

        holder_dies()  # PostgreSQL: the worker's connection ends, and its lock with it
        if services.connection.vendor == "postgresql":
            assert services.match_runs_dead_mark() == [live]


def test_a_queued_full_run_is_not_replaced_by_an_incremental_request(extract, fixed_model):
    extract("bcc-council-tax", [dict(forename="ANN", surname="SMITH", date_of_birth="1980-01-02", postcode="BS1 4DJ")])
    queued_full = left_behind(MatchRun.Status.PENDING, worker="")  # a reviewer's full run, waiting in the queue

    with pytest.raises(services.MatchingError, match="already waiting or running"):
        services.match_run_create(kind=MatchRun.Kind.INCREMENTAL, dataset=Dataset.objects.get(code="bcc-council-tax"),
                                  model=fixed_model)

    queued_full.refresh_from_db()
    assert queued_full.status == MatchRun.Status.PENDING  # it will link the new records anyway
    assert MatchRun.objects.count() == 1


def test_a_queued_incremental_run_is_replaced_by_a_full_request(extract, fixed_model):
    extract("bcc-council-tax", [dict(forename="ANN", surname="SMITH", date_of_birth="1980-01-02", postcode="BS1 4DJ")])
    queued = MatchRun.objects.create(kind=MatchRun.Kind.INCREMENTAL, dataset=Dataset.objects.get(code="bcc-council-tax"),
                                     match_threshold=0.99, review_threshold=0.8)

    full = services.match_run_create(kind=MatchRun.Kind.FULL, model=fixed_model)

    queued.refresh_from_db()
    assert queued.status == MatchRun.Status.FAILED and "replaces it" in queued.failure_reason
    assert full.status == MatchRun.Status.PENDING
