"""The match run: source records -> DuckDB -> Splink -> clusters -> stable person ids.

Stages (each timed on the run):

1. **export**: the source records of every current batch go to DuckDB through
   PostgreSQL ``COPY ... TO STDOUT`` (CSV) or, on SQLite, through Arrow. No DuckDB
   extension is used, so nothing is downloaded at run time.
2. **profiles**: records with identical identity fields become one *profile*
   (its id is its smallest record id); name keys (phonetic, nickname variants)
   are computed once per distinct name.
3. **train** (full runs): Splink estimates the prior, u by random sampling and m by
   EM on two blocking rules, capped (``TrainingCaps``). Incremental runs reuse the
   model of the last completed full run.
4. **predict**: pairs at or above the review threshold.
5. **cluster**: pairs at or above the match threshold, with reviewers' decisions
   as must-link and cannot-link constraints (``clustering.cluster``).
6. **persons**: each cluster takes the id of the person it overlaps most; merges
   and splits are recorded (``PersonIdEvent``); records get their person.
7. **review queue**: grey-zone pairs not yet decided.
8. **project**: ``projection.project`` rebuilds the persons' golden records.
"""

from __future__ import annotations

import csv
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.common.names import nickname_keys, phonetic, search_key
from apps.people.models import Person
from apps.sources.models import Dataset, SourceRecord

from . import splink_model
from .bulk import insert_copies
from .clustering import assign_person_ids, cluster
from .models import ClericalPair, MatchRun, PersonIdEvent, ReviewDecision

logger = logging.getLogger(__name__)

IDENTITY_FIELDS = (
    "forename", "surname", "date_of_birth", "sex", "postcode", "address_key", "uprn", "nhs_number", "upn", "ni_number",
)
EXPORT_FIELDS = ("id", "person_id", "dataset_id", "source_key", *IDENTITY_FIELDS)


@dataclass(frozen=True)
class MatchingConfig:
    """Tunables, from Django settings ``MATCHING_*`` with these defaults."""

    match_threshold: float = 0.99
    review_threshold: float = 0.80
    memory_limit: str = "2GB"
    threads: int = 2
    review_queue_cap: int = 5000
    caps: splink_model.TrainingCaps = field(default_factory=splink_model.TrainingCaps)

    @classmethod
    def from_settings(cls) -> MatchingConfig:
        return cls(
            match_threshold=getattr(settings, "MATCHING_MATCH_THRESHOLD", cls.match_threshold),
            review_threshold=getattr(settings, "MATCHING_REVIEW_THRESHOLD", cls.review_threshold),
            memory_limit=getattr(settings, "MATCHING_DUCKDB_MEMORY_LIMIT", cls.memory_limit),
            threads=getattr(settings, "MATCHING_DUCKDB_THREADS", cls.threads),
            review_queue_cap=getattr(settings, "MATCHING_REVIEW_QUEUE_CAP", cls.review_queue_cap),
        )


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


# --- stage 1 and 2: export and profiles ---------------------------------------------


def _current_records():
    return SourceRecord.objects.filter(batch__is_current=True)


def _export(con, queryset, table: str, workdir: Path) -> int:
    """Copy ``queryset``'s identity fields into DuckDB table ``table``; returns the row count."""
    queryset = queryset.order_by().values_list(*EXPORT_FIELDS)
    if connection.vendor == "postgresql":
        sql, params = queryset.query.sql_with_params()
        path = workdir / f"{table}.csv"
        with connection.cursor() as cursor, path.open("w", encoding="utf-8", newline="") as handle:
            query = cursor.mogrify(sql, params).decode()
            cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER false)", handle)
        types = {"id": "BIGINT", "person_id": "BIGINT", "dataset_id": "BIGINT", "date_of_birth": "DATE"}
        columns = ", ".join(f"'{f}': '{types.get(f, 'VARCHAR')}'" for f in EXPORT_FIELDS)
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv('{path}', header=false, "
            f"columns={{{columns}}}, nullstr='', quote='\"', escape='\"')"
        )
        path.unlink()
    else:
        rows = list(queryset.iterator(chunk_size=20000))
        arrays = list(zip(*rows, strict=True)) if rows else [[] for _ in EXPORT_FIELDS]
        types = {"id": pa.int64(), "person_id": pa.int64(), "dataset_id": pa.int64(), "date_of_birth": pa.date32()}
        arrow = pa.table({f: pa.array(arrays[i], type=types.get(f, pa.string())) for i, f in enumerate(EXPORT_FIELDS)})
        con.register(f"{table}_arrow", arrow)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table}_arrow")
        con.unregister(f"{table}_arrow")
    # blanks are missing values; sex U is "not known"
    sets = ", ".join(f"{f} = NULLIF(trim({f}), '')" for f in IDENTITY_FIELDS if f != "date_of_birth")
    con.execute(f"UPDATE {table} SET {sets}")
    con.execute(f"UPDATE {table} SET sex = NULL WHERE sex = 'U'")
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _build_profiles(con, records: str, profiles: str) -> int:
    """One profile per distinct identity; ``{records}.profile_id`` is set. Returns the profile count."""
    fields = ", ".join(IDENTITY_FIELDS)
    con.execute(
        f"CREATE OR REPLACE TABLE {records} AS SELECT *, "
        f"min(id) OVER (PARTITION BY {fields}) AS profile_id FROM {records}"
    )
    names = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT n FROM (SELECT forename AS n FROM {records} UNION SELECT surname FROM {records}) "
            "WHERE n IS NOT NULL"
        ).fetchall()
    ]
    keys = pa.table(
        {
            "name": pa.array(names, type=pa.string()),
            "phonetic": pa.array([phonetic(n) or None for n in names], type=pa.string()),
            "variants": pa.array([nickname_keys(n) or None for n in names], type=pa.list_(pa.string())),
        }
    )
    con.register("name_keys_arrow", keys)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {profiles} AS
        SELECT p.profile_id AS unique_id, p.forename, p.surname,
               fk.phonetic AS forename_phonetic, sk.phonetic AS surname_phonetic,
               fk.variants AS forename_variants, p.date_of_birth, p.sex, p.postcode,
               CASE WHEN p.postcode LIKE '% %' THEN left(p.postcode, strpos(p.postcode, ' ') + 1) END
                   AS postcode_sector,
               p.address_key, p.uprn, p.nhs_number, p.upn, p.ni_number
        FROM (SELECT DISTINCT profile_id, {fields} FROM {records}) p
        LEFT JOIN name_keys_arrow fk ON fk.name = p.forename
        LEFT JOIN name_keys_arrow sk ON sk.name = p.surname
        """
    )
    con.unregister("name_keys_arrow")
    return con.execute(f"SELECT count(*) FROM {profiles}").fetchall()[0][0]


def _record_profile(con, records: str) -> dict[int, int]:
    return dict(con.execute(f"SELECT id, profile_id FROM {records}").fetchall())


def _agency_key_links(con, records: str) -> list[tuple[int, int]]:
    """Must-links between profiles that share a dataset and source key.

    A source key is the agency's own record of one person (docs/data-formats.md),
    so its rows are one person even when they disagree on a name or an address.
    """
    return con.execute(
        f"""
        SELECT DISTINCT min(profile_id) OVER (PARTITION BY dataset_id, source_key), profile_id
        FROM {records} WHERE source_key IS NOT NULL
        QUALIFY profile_id <> min(profile_id) OVER (PARTITION BY dataset_id, source_key)
        """
    ).fetchall()


def _profile_dates_of_birth(con, profiles: str) -> dict[int, object]:
    """{profile id: date of birth} for the profiles that have one (clustering keeps them consistent)."""
    return dict(con.execute(f"SELECT unique_id, date_of_birth FROM {profiles} WHERE date_of_birth IS NOT NULL").fetchall())


def _decided_pairs(con, records: str) -> list[tuple[int, int, str]]:
    """Reviewers' decisions as profile pairs: (profile, profile, outcome), the smaller profile first.

    A decision names two agency records by dataset code and source key, so it binds
    whichever rows of those keys are current, however often their extracts were
    replaced. A key's rows may fall into several profiles; every pair of them is
    given. Pairs inside one profile cannot be told apart and are left out.
    """
    codes = dict(Dataset.objects.values_list("code", "pk"))
    decisions = list(
        ReviewDecision.objects.values_list("low_dataset_id", "low_source_key", "high_dataset_id", "high_source_key", "outcome")
    )
    if not decisions:
        return []
    columns = list(zip(*decisions, strict=True))
    table = pa.table({
        "low_dataset": pa.array([codes[c] for c in columns[0]], type=pa.int64()),
        "low_key": pa.array(columns[1], type=pa.string()),
        "high_dataset": pa.array([codes[c] for c in columns[2]], type=pa.int64()),
        "high_key": pa.array(columns[3], type=pa.string()),
        "outcome": pa.array(columns[4], type=pa.string()),
    })
    con.register("decisions_arrow", table)
    try:
        return con.execute(
            f"""
            SELECT DISTINCT least(l.profile_id, h.profile_id), greatest(l.profile_id, h.profile_id), d.outcome
            FROM decisions_arrow d
            JOIN {records} l ON l.dataset_id = d.low_dataset AND l.source_key = d.low_key
            JOIN {records} h ON h.dataset_id = d.high_dataset AND h.source_key = d.high_key
            WHERE l.profile_id <> h.profile_id
            """
        ).fetchall()
    finally:
        con.unregister("decisions_arrow")


def _constraints(decided: list[tuple[int, int, str]]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Match / not-a-match decisions as (must-link, cannot-link) profile pairs; "not sure" binds nothing."""
    must = [(a, b) for a, b, outcome in decided if outcome == ReviewDecision.Outcome.MATCH]
    cannot = [(a, b) for a, b, outcome in decided if outcome == ReviewDecision.Outcome.NOT_MATCH]
    return must, cannot


# --- writing back -------------------------------------------------------------------


@contextmanager
def _write_transaction():
    """One stage's writes, in one transaction; on PostgreSQL without waiting for the WAL flush at commit.

    ``synchronous_commit = off`` (for this transaction only) means a crash in the
    moment after the commit could lose it, never corrupt it: the run is then
    repeated. Stages write hundreds of thousands of rows, so the flush is not free.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


def _link_records(assignments: list[tuple[int, int, float | None]]) -> None:
    """Set ``person_id`` and ``match_probability`` on records: (record id, person id, probability)."""
    if not assignments:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE matching_link (record_id bigint, person_id bigint, probability double precision)"
                " ON COMMIT DROP"
            )
            with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerows(("" if v is None else v for v in row) for row in assignments)
                handle.seek(0)
                cursor.copy_expert("COPY matching_link FROM STDIN WITH (FORMAT csv)", handle)
            cursor.execute("ANALYZE matching_link")  # a temporary table has no statistics: plan a hash join
            table = SourceRecord._meta.db_table
            cursor.execute(
                f"UPDATE {table} r SET person_id = l.person_id, match_probability = l.probability "
                "FROM matching_link l WHERE r.id = l.record_id "
                "AND (r.person_id IS DISTINCT FROM l.person_id OR r.match_probability IS DISTINCT FROM l.probability)"
            )
            cursor.execute("DROP TABLE matching_link")
    else:
        objs = [SourceRecord(pk=r, person_id=p, match_probability=prob) for r, p, prob in assignments]
        SourceRecord.objects.bulk_update(objs, ["person_id", "match_probability"], batch_size=500)


def _new_persons(count: int) -> list[int]:
    """Issue ``count`` new person ids (the projection fills their fields).

    One set-based insert: a first run creates every person (170,000 at bristol
    scale took 15.7 s as ORM batches).
    """
    return insert_copies(Person, Person(forename="", surname=""), count)


def _queue_grey_pairs(con, run: MatchRun, pairs: str, config: MatchingConfig, decided: list[tuple[int, int, str]]) -> int:
    """Queue undecided grey-zone pairs (review threshold <= p < match threshold), strongest first.

    A pair is left out when a reviewer has decided it (whatever the outcome, and
    however often its extracts were replaced since) or when its two rows are one
    agency record (dataset and source key), which is always linked.
    """
    decided_pairs = {(a, b) for a, b, _ in decided}
    rows = con.execute(
        f"""
        SELECT least(unique_id_l, unique_id_r) AS a, greatest(unique_id_l, unique_id_r) AS b, match_probability
        FROM {pairs} p
        WHERE match_probability < {config.match_threshold}
          AND NOT EXISTS (
              SELECT 1 FROM records l JOIN records h ON l.dataset_id = h.dataset_id AND l.source_key = h.source_key
              WHERE l.id = least(p.unique_id_l, p.unique_id_r) AND h.id = greatest(p.unique_id_l, p.unique_id_r)
          )
        ORDER BY match_probability DESC
        """
    ).fetchall()
    queued = [(a, b, p) for a, b, p in rows if (a, b) not in decided_pairs][: config.review_queue_cap]
    # The queue is rebuilt each full run; a profile's id is its first record's, which stands for it.
    ClericalPair.objects.all().delete()
    ClericalPair.objects.bulk_create(
        [ClericalPair(run=run, record_low_id=a, record_high_id=b, match_probability=p) for a, b, p in queued],
        batch_size=2000,
    )
    return len(queued)


# --- the runs -----------------------------------------------------------------------


@contextmanager
def _duckdb(config: MatchingConfig):
    workdir = Path(tempfile.mkdtemp(prefix="matchrun-", dir=getattr(settings, "VAR_DIR", None)))
    con = splink_model.connect(
        memory_limit=config.memory_limit, temp_directory=str(workdir / "spill"), threads=config.threads
    )
    try:
        yield con, workdir
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)


FULL_STAGES = ["export", "profiles", "train", "predict", "cluster", "persons", "review queue", "project"]
INCREMENTAL_STAGES = ["export", "profiles", "predict", "cluster", "persons", "project"]


def run_full(run: MatchRun, *, model: dict | None = None, project: Callable | None = None) -> None:
    """Link every current source record (see the module docstring). ``model``: skip training and use it."""
    from .projection import project as project_persons  # noqa: PLC0415 - projection imports pipeline names

    config = MatchingConfig.from_settings()
    progress = Progress(run, FULL_STAGES)
    counts = run.counts
    with _duckdb(config) as (con, workdir):
        with progress.stage("export"):
            counts["records"] = _export(con, _current_records(), "records", workdir)
        with progress.stage("profiles"):
            counts["profiles"] = _build_profiles(con, "records", "profiles")
            record_profile = _record_profile(con, "records")
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
                f"SELECT unique_id_l, unique_id_r, match_probability FROM pairs "
                f"WHERE match_probability >= {config.match_threshold}"
            ).fetchall()
            counts["pairs_linked"] = len(edges)
            decided = _decided_pairs(con, "records")
            must, cannot = _constraints(decided)
            key_links = _agency_key_links(con, "records")
            counts["must_link"], counts["cannot_link"], counts["agency_key_links"] = len(must), len(cannot), len(key_links)
            must += key_links
            profile_cluster = cluster(
                sorted(set(record_profile.values())), edges, must_link=must, cannot_link=cannot,
                dates_of_birth=_profile_dates_of_birth(con, "profiles"),
            )
            best_link: dict[int, float] = {}
            for a, b, p in edges:
                if profile_cluster[a] == profile_cluster[b]:
                    best_link[a] = max(best_link.get(a, 0.0), p)
                    best_link[b] = max(best_link.get(b, 0.0), p)
            counts["clusters"] = len(set(profile_cluster.values()))
        with progress.stage("persons"), _write_transaction():
            record_cluster = {r: profile_cluster[p] for r, p in record_profile.items()}
            record_person = dict(con.execute("SELECT id, person_id FROM records").fetchall())
            persons = _apply_assignment(run, record_cluster, record_person)
            _link_records(
                [
                    (r, persons[c], best_link.get(record_profile[r]))
                    for r, c in record_cluster.items()
                    if record_person.get(r) != persons[c] or best_link.get(record_profile[r]) is not None
                ]
            )
            counts["persons"] = len(set(persons.values()))
        with progress.stage("review queue"), _write_transaction():
            counts["review_queued"] = _queue_grey_pairs(con, run, "pairs", config, decided)
    with progress.stage("project"), _write_transaction():
        counts.update((project or project_persons)(person_ids=None))


def _apply_assignment(run: MatchRun, record_cluster: dict[int, int], record_person: dict[int, int | None]) -> dict[int, int]:
    """Give clusters person ids, record merges and splits; returns {cluster: person id}."""
    assignment = assign_person_ids(record_cluster, record_person)
    persons = dict(assignment.person_for_cluster)
    persons.update(zip(assignment.new_clusters, _new_persons(len(assignment.new_clusters)), strict=True))
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
    from .projection import project as project_persons  # noqa: PLC0415

    config = MatchingConfig.from_settings()
    progress = Progress(run, INCREMENTAL_STAGES)
    counts = run.counts
    with _duckdb(config) as (con, workdir):
        with progress.stage("export"):
            new_qs = _current_records().filter(dataset=run.dataset, person__isnull=True)
            counts["records"] = _export(con, new_qs, "new_records", workdir)
            counts["existing_records"] = _export(
                con, _current_records().filter(person__isnull=False), "old_records", workdir
            )
        with progress.stage("profiles"):
            con.execute("CREATE TABLE records AS SELECT * FROM old_records UNION ALL SELECT * FROM new_records")
            counts["profiles"] = _build_profiles(con, "records", "all_profiles")
            record_profile = _record_profile(con, "records")
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
            edges = con.execute("SELECT unique_id_l, unique_id_r, match_probability FROM pairs").fetchall()
            new_records = [r for (r,) in con.execute("SELECT id FROM new_records").fetchall()]
            key_links = _agency_key_links(con, "records")
            nodes = {record_profile[r] for r in new_records} | {a for a, _, _ in edges} | {b for _, b, _ in edges}
            key_links = [(a, b) for a, b in key_links if a in nodes or b in nodes]
            nodes |= {a for a, _ in key_links} | {b for _, b in key_links}
            # reviewers' decisions that touch the new records bind here too
            decided = [(a, b, o) for a, b, o in _decided_pairs(con, "records") if a in nodes or b in nodes]
            nodes |= {a for a, _, _ in decided} | {b for _, b, _ in decided}
            must, cannot = _constraints(decided)
            counts["must_link"], counts["cannot_link"] = len(must), len(cannot)
            profile_cluster = cluster(
                sorted(nodes), edges, must_link=key_links + must + _same_person_links(con, nodes), cannot_link=cannot,
                dates_of_birth=_profile_dates_of_birth(con, "all_profiles"),
            )
            counts["clusters"] = len(set(profile_cluster.values()))
        with progress.stage("persons"), _write_transaction():
            # votes: which existing person each cluster's existing records belong to
            votes: dict[int, dict[int, int]] = {}
            for r, person in con.execute("SELECT id, person_id FROM old_records").fetchall():
                c = profile_cluster.get(record_profile[r])
                if c is not None:
                    votes.setdefault(c, {}).setdefault(person, 0)
                    votes[c][person] += 1
            fresh_clusters = sorted({profile_cluster[record_profile[r]] for r in new_records} - set(votes))
            persons = {c: min(v.items(), key=lambda pv: (-pv[1], pv[0]))[0] for c, v in votes.items()}
            persons.update(zip(fresh_clusters, _new_persons(len(fresh_clusters)), strict=True))
            best = {}
            for a, b, p in edges:
                best[a], best[b] = max(best.get(a, 0.0), p), max(best.get(b, 0.0), p)
            assignments = [
                (r, persons[profile_cluster[record_profile[r]]], best.get(record_profile[r])) for r in new_records
            ]
            _link_records(assignments)
            counts.update(new_persons=len(fresh_clusters), linked_to_existing=sum(
                1 for r in new_records if profile_cluster[record_profile[r]] in votes
            ))
            affected = sorted({p for _, p, _ in assignments})
    with progress.stage("project"), _write_transaction():
        counts.update(project_persons(person_ids=affected))


def _same_person_links(con, nodes: set[int]) -> list[tuple[int, int]]:
    """Must-links joining the existing profiles among ``nodes`` that belong to one person.

    An incremental run does not merge or split persons, so an existing person is
    one cluster here: a "not the same person" decision against one of its records
    keeps a new record away from all of them.
    """
    con.register("nodes_arrow", pa.table({"profile_id": pa.array(sorted(nodes), type=pa.int64())}))
    try:
        rows = con.execute(
            "SELECT r.profile_id, min(r.person_id) FROM records r JOIN nodes_arrow n USING (profile_id) "
            "WHERE r.person_id IS NOT NULL GROUP BY r.profile_id ORDER BY 1"
        ).fetchall()
    finally:
        con.unregister("nodes_arrow")
    first: dict[int, int] = {}
    links = []
    for profile, person in rows:
        if person in first:
            links.append((first[person], profile))
        else:
            first[person] = profile
    return links


def search_forms(forename: str, surname: str) -> dict[str, str]:
    """The person's search keys, as the people search expects them."""
    return {
        "search_forename": search_key(forename)[:100],
        "search_surname": search_key(surname)[:100],
        "forename_phonetic": phonetic(forename),
        "surname_phonetic": phonetic(surname),
    }


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
