"""The match run: source records -> DuckDB -> Splink -> clusters -> stable person ids.

Stages (each timed on the run):

1. **export**: the source records of every current batch go to DuckDB (``duckdb_io``).
2. **profiles**: records with identical identity fields become one *profile*
   (``profiles``).
3. **train** (full runs): Splink estimates the prior, u by random sampling and m by
   EM on two blocking rules, capped (``TrainingCaps``). Incremental runs reuse the
   model of the last completed full run.
4. **predict**: pairs at or above the review threshold, each with the family guard's
   verdict (``splink_model.GUARD_SQL``: link, review; pairs with evidence of two people are dropped).
5. **cluster**: pairs the guard lets link at or above the match threshold, with reviewers'
   decisions as must-link and cannot-link constraints and no person holding conflicting
   strong identifiers (``clustering.cluster``).
6. **persons**: each cluster takes the id of the person it overlaps most; merges
   and splits are recorded (``PersonIdEvent``); records get their person.
7. **review queue**: grey-zone pairs, and pairs the guard sends to review, not yet decided.
8. **explain** (full runs): Splink's waterfall for each queued pair, and the model's
   precision and recall against reviewers' labels (``explain``).
9. **project**: ``projection.project`` rebuilds the persons' golden records.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.utils import timezone

from apps.people.models import Person
from apps.sources.models import ImportBatch

from . import duckdb_io, explain, profiles, splink_model
from .clustering import assign_person_ids, cluster
from .config import MatchingConfig
from .models import MatchRun, PersonIdEvent
from .projection import project as project_persons

logger = logging.getLogger(__name__)


class Progress:
    """Times stages and reports them on the run row (the run page polls it)."""

    def __init__(self, run: MatchRun, stages: list[str]):
        self.run, self.stages = run, stages

    @contextmanager
    def stage(self, name: str):
        index = self.stages.index(name)
        MatchRun.objects.filter(pk=self.run.pk).update(stage=name, progress=int(100 * index / len(self.stages)))
        started = time.perf_counter()
        yield
        self.run.timings[name] = round(time.perf_counter() - started, 3)
        MatchRun.objects.filter(pk=self.run.pk).update(timings=self.run.timings)


FULL_STAGES = ["export", "profiles", "train", "predict", "cluster", "persons", "review queue", "explain", "project"]
INCREMENTAL_STAGES = ["export", "profiles", "predict", "cluster", "persons", "project"]


def run_full(run: MatchRun, *, model: dict | None = None, project: Callable | None = None) -> None:
    """Link every current source record (see the module docstring). ``model``: skip training and use it."""
    config = MatchingConfig.for_run(run)
    progress = Progress(run, FULL_STAGES)
    counts = run.counts
    with duckdb_io.session(config) as (con, workdir):
        with progress.stage("export"):
            counts["records"] = duckdb_io.export(con, duckdb_io.current_records(), "records", workdir)
        with progress.stage("profiles"):
            counts["profiles"] = profiles.build(con, "records", "profiles")
            record_profile = profiles.of_records(con, "records")
        with progress.stage("train"):
            if model is None:
                prior = 1.0 / max(counts["profiles"], 2)
                model = splink_model.train(con, "profiles", caps=config.caps, prior=prior)
            run.model = model
            run.parameters = splink_model.parameters_table(model)
            run.charts = splink_model.model_charts(con, "profiles", model)
            run.save(update_fields=["model", "parameters", "charts"])
        with progress.stage("predict"):
            counts["pairs_scored"] = splink_model.predict(
                con, "profiles", model, threshold=config.review_threshold, out_table="pairs"
            )
        with progress.stage("cluster"):
            edges = con.execute(
                f"SELECT unique_id_l, unique_id_r, match_probability, id_agrees FROM pairs "
                f"WHERE match_probability >= {config.match_threshold} AND guard = 'link'"
            ).fetchall()
            counts["pairs_linked"] = len(edges)
            decided = profiles.decided_pairs(con, "records")
            must, cannot = profiles.constraints(decided)
            key_links = profiles.agency_key_links(con, "records")
            counts["must_link"], counts["cannot_link"], counts["agency_key_links"] = len(must), len(cannot), len(key_links)
            must += key_links
            profile_cluster = cluster(
                sorted(set(record_profile.values())), edges, must_link=must, cannot_link=cannot,
                dates_of_birth=profiles.dates_of_birth(con, "profiles"),
                identifiers=profiles.identifiers(con, "profiles"),
                names=profiles.names(con, "profiles"),
            )
            best_link: dict[int, float] = {}
            for a, b, p, _ in edges:
                if profile_cluster[a] == profile_cluster[b]:
                    best_link[a] = max(best_link.get(a, 0.0), p)
                    best_link[b] = max(best_link.get(b, 0.0), p)
            counts["clusters"] = len(set(profile_cluster.values()))
        with progress.stage("persons"), duckdb_io.write_transaction():
            record_cluster = {r: profile_cluster[p] for r, p in record_profile.items()}
            record_person = dict(con.execute("SELECT id, person_id FROM records").fetchall())
            persons = _apply_assignment(run, record_cluster, record_person)
            duckdb_io.link_records(
                [
                    (r, persons[c], best_link.get(record_profile[r]))
                    for r, c in record_cluster.items()
                    if record_person.get(r) != persons[c] or best_link.get(record_profile[r]) is not None
                ]
            )
            counts["persons"] = len(set(persons.values()))
        with progress.stage("review queue"), duckdb_io.write_transaction():
            counts["review_queued"] = duckdb_io.grey_pairs_queue(con, run, "pairs", config, decided)
        with progress.stage("explain"):
            # Splink's waterfall for each queued pair; precision and recall against reviewers' labels
            with duckdb_io.write_transaction():
                counts["review_explained"] = explain.explain_grey_pairs(con, run, "profiles", model)
            run.accuracy = explain.accuracy_from_labels(
                con, "profiles", model, decided, thresholds=[*explain.THRESHOLDS, config.review_threshold, config.match_threshold]
            )
            MatchRun.objects.filter(pk=run.pk).update(accuracy=run.accuracy)
    with progress.stage("project"), duckdb_io.write_transaction():
        waiting = list(ImportBatch.objects.exclude(replaced_persons=[]).values_list("pk", flat=True))
        counts.update((project or project_persons)(person_ids=None))
        # everyone was projected again: no batch's replaced persons wait for it any more
        ImportBatch.objects.filter(pk__in=waiting).update(replaced_persons=[])


def _apply_assignment(run: MatchRun, record_cluster: dict[int, int], record_person: dict[int, int | None]) -> dict[int, int]:
    """Give clusters person ids, record merges and splits; returns {cluster: person id}."""
    assignment = assign_person_ids(record_cluster, record_person)
    persons = dict(assignment.person_for_cluster)
    persons.update(zip(assignment.new_clusters, duckdb_io.new_persons(len(assignment.new_clusters)), strict=True))
    events = [
        PersonIdEvent(run=run, kind=PersonIdEvent.Kind.MERGE, from_person_id=old, to_person_id=persons[c], record_count=n)
        for old, c, n in assignment.merges
    ] + [
        PersonIdEvent(run=run, kind=PersonIdEvent.Kind.SPLIT, from_person_id=old, to_person_id=persons[c], record_count=n)
        for old, c, n in assignment.splits
    ]
    PersonIdEvent.objects.bulk_create(events, batch_size=2000)
    for old, c, _ in assignment.merges:
        Person.objects.filter(pk=old).update(merged_into_id=persons[c])
    # A person that is some cluster's continuation is not merged any more (a reviewer may have split it back).
    Person.objects.filter(pk__in=list(persons.values()), merged_into__isnull=False).update(merged_into=None)
    run.counts.update(merges=len(assignment.merges), splits=len(assignment.splits), new_persons=len(assignment.new_clusters))
    return persons


def run_incremental(run: MatchRun, *, model: dict) -> None:
    """Link the unlinked records of ``run.dataset``'s current batch into the existing persons.

    Existing profiles are scored against the new ones (``predict_between``) and the
    new ones among themselves (``predict_within``). A new record joins the person its
    cluster overlaps most; new clusters get new persons. Existing persons are never
    merged or split here: the next full run does that, and records it.
    """
    config = MatchingConfig.for_run(run)
    progress = Progress(run, INCREMENTAL_STAGES)
    counts = run.counts
    with duckdb_io.session(config) as (con, workdir):
        with progress.stage("export"):
            new_qs = duckdb_io.current_records().filter(dataset=run.dataset, person__isnull=True)
            counts["records"] = duckdb_io.export(con, new_qs, "new_records", workdir)
            counts["existing_records"] = duckdb_io.export(
                con, duckdb_io.current_records().filter(person__isnull=False), "old_records", workdir
            )
        with progress.stage("profiles"):
            con.execute("CREATE TABLE records AS SELECT * FROM old_records UNION ALL SELECT * FROM new_records")
            counts["profiles"] = profiles.build(con, "records", "all_profiles")
            record_profile = profiles.of_records(con, "records")
            con.execute(
                "CREATE TABLE existing AS SELECT * FROM all_profiles WHERE unique_id IN "
                "(SELECT profile_id FROM records WHERE person_id IS NOT NULL)"
            )
            con.execute("CREATE TABLE fresh AS SELECT * FROM all_profiles WHERE unique_id NOT IN (SELECT unique_id FROM existing)")
        with progress.stage("predict"):
            counts["pairs_scored"] = splink_model.predict_incremental(
                con, "existing", "fresh", model, threshold=config.match_threshold, out_table="pairs"
            )
        with progress.stage("cluster"):
            edges = con.execute(
                "SELECT unique_id_l, unique_id_r, match_probability, id_agrees FROM pairs WHERE guard = 'link'"
            ).fetchall()
            new_records = [r for (r,) in con.execute("SELECT id FROM new_records").fetchall()]
            key_links = profiles.agency_key_links(con, "records")
            nodes = {record_profile[r] for r in new_records} | {e[0] for e in edges} | {e[1] for e in edges}
            key_links = [(a, b) for a, b in key_links if a in nodes or b in nodes]
            nodes |= {a for a, _ in key_links} | {b for _, b in key_links}
            # reviewers' decisions that touch the new records bind here too
            decided = [(a, b, o) for a, b, o in profiles.decided_pairs(con, "records") if a in nodes or b in nodes]
            nodes |= {a for a, _, _ in decided} | {b for _, b, _ in decided}
            must, cannot = profiles.constraints(decided)
            counts["must_link"], counts["cannot_link"] = len(must), len(cannot)
            profile_cluster = cluster(
                sorted(nodes), edges, must_link=key_links + must + profiles.same_person_links(con, nodes), cannot_link=cannot,
                dates_of_birth=profiles.dates_of_birth(con, "all_profiles"),
                identifiers=profiles.identifiers(con, "all_profiles"),
                names=profiles.names(con, "all_profiles"),
            )
            counts["clusters"] = len(set(profile_cluster.values()))
        with progress.stage("persons"), duckdb_io.write_transaction():
            # votes: which existing person each cluster's existing records belong to
            votes: dict[int, dict[int, int]] = {}
            for r, person in con.execute("SELECT id, person_id FROM old_records").fetchall():
                c = profile_cluster.get(record_profile[r])
                if c is not None:
                    votes.setdefault(c, {}).setdefault(person, 0)
                    votes[c][person] += 1
            fresh_clusters = sorted({profile_cluster[record_profile[r]] for r in new_records} - set(votes))
            persons = {c: min(v.items(), key=lambda pv: (-pv[1], pv[0]))[0] for c, v in votes.items()}
            persons.update(zip(fresh_clusters, duckdb_io.new_persons(len(fresh_clusters)), strict=True))
            best = {}
            for a, b, p, _ in edges:
                best[a], best[b] = max(best.get(a, 0.0), p), max(best.get(b, 0.0), p)
            assignments = [
                (r, persons[profile_cluster[record_profile[r]]], best.get(record_profile[r])) for r in new_records
            ]
            duckdb_io.link_records(assignments)
            counts.update(new_persons=len(fresh_clusters), linked_to_existing=sum(
                1 for r in new_records if profile_cluster[record_profile[r]] in votes
            ))
            # and the persons whose rows of the replaced extract are gone: what was projected from those rows goes too
            current_batch, replaced = ImportBatch.objects.filter(dataset=run.dataset, is_current=True).values_list(
                "pk", "replaced_persons").first() or (None, [])
            still_there = Person.objects.filter(pk__in=replaced).values_list("pk", flat=True)
            affected = sorted({p for _, p, _ in assignments} | set(still_there))
            counts["reprojected_replaced"] = len(still_there)
    with progress.stage("project"), duckdb_io.write_transaction():
        counts.update(project_persons(person_ids=affected))
        # projected: a later load of the dataset carries over only what is still waiting
        ImportBatch.objects.filter(pk=current_batch).update(replaced_persons=[])


def run_execute(run: MatchRun) -> MatchRun:
    """Run ``run`` to completion, recording status, timings and any failure."""
    MatchRun.objects.filter(pk=run.pk).update(status=MatchRun.Status.RUNNING, started_at=timezone.now())
    run.refresh_from_db()
    started = time.perf_counter()
    try:
        if run.kind == MatchRun.Kind.FULL:
            run_full(run, model=run.model or None)
        else:
            run_incremental(run, model=run.model)
    except Exception as exc:
        logger.exception("match run %s failed", run.pk)
        run.status, run.failure_reason = MatchRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
    else:
        run.status, run.progress, run.stage = MatchRun.Status.COMPLETED, 100, "done"
    run.timings["total"] = round(time.perf_counter() - started, 3)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "progress", "stage", "failure_reason", "timings", "counts", "finished_at"])
    return run
