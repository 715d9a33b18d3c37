"""The hash chain: tampering is found and named with its position; a missing row (middle or end) is a gap;
retention keeps it verifiable; concurrent writers never fork it."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections, connection, connections, transaction
from django.utils import timezone

from apps.audit.chain import GENESIS_HASH, event_hash
from apps.audit.dbroles import MIN_RETENTION_DAYS
from apps.audit.models import Alert, AuditEvent, RetentionCheckpoint
from apps.audit.retention import audit_retention_purge
from apps.audit.services import audit_record
from apps.audit.tasks import audit_retention_task, audit_verify_task
from apps.audit.verification import audit_chain_verify


def vars_of(event: AuditEvent) -> dict:
    return {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields if f.attname != "id"}


def _chain(n: int) -> list[AuditEvent]:
    return [
        audit_record(action=AuditEvent.Action.SEARCH, details={"query": f"name {i}"}, result_count=i, record_ids=[i])
        for i in range(n)
    ]


@pytest.mark.django_db
class TestVerifier:
    def test_an_intact_chain_verifies_in_small_chunks(self):
        events = _chain(7)
        report = audit_chain_verify(chunk_size=2)
        assert report.ok
        assert (report.rows_checked, report.first_id, report.last_id) == (7, events[0].pk, events[-1].pk)
        assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6, 7]
        assert events[0].prev_hash == GENESIS_HASH
        assert not Alert.objects.exists()

    def test_an_altered_row_is_named_by_the_command_the_task_the_log_and_an_alert(self, tamper, caplog):
        events = _chain(5)
        with tamper():
            AuditEvent.objects.filter(pk=events[2].pk).update(result_count=0)

        with pytest.raises(CommandError, match=f"BROKEN at event {events[2].pk}"):
            call_command("audit_verify", chunk_size=2)
        assert audit_verify_task() == {"ok": False, "rows_checked": 2, "broken_event_id": events[2].pk}

        alert = Alert.objects.get(kind=Alert.Kind.CHAIN_BREAK)  # raised once, however often it is found
        assert alert.event_id == events[2].pk
        assert "altered" in alert.summary
        assert any(r.levelno == logging.ERROR and str(events[2].pk) in r.getMessage() for r in caplog.records)

    def test_a_row_deleted_from_the_middle_is_a_gap_named_by_its_position(self, tamper):
        """Deleted behind the application's back (triggers off, as a superuser could): found, with where it was."""
        events = _chain(5)
        with tamper():
            AuditEvent.objects.filter(pk=events[1].pk).delete()
        report = audit_chain_verify()
        assert (report.broken.event_id, report.broken.position) == (events[2].pk, 2)
        assert "position 2 is missing" in report.broken.reason
        with pytest.raises(CommandError, match=f"BROKEN at event {events[2].pk} \\(position 2\\): position 2 is missing"):
            call_command("audit_verify")

    def test_the_last_row_deleted_is_found_although_nothing_was_verified_before(self, tamper):
        """No earlier verification to compare with: the database's chain head still knows the newest position."""
        events = _chain(4)
        with tamper():
            AuditEvent.objects.filter(pk=events[-1].pk).delete()
        report = audit_chain_verify()
        assert (report.broken.event_id, report.broken.position) == (events[-1].pk, 4)
        assert "position 4 is missing at the end" in report.broken.reason
        assert Alert.objects.get(kind=Alert.Kind.CHAIN_BREAK).event_id == events[-1].pk

    def test_ids_skipped_by_rolled_back_writes_are_not_gaps(self):
        """A failed request rolls its audit row back; the id may be used up, the position is not."""
        first = audit_record(action=AuditEvent.Action.SEARCH)
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_record(action=AuditEvent.Action.SEARCH)
            raise RuntimeError("the request failed after its audit write")
        second = audit_record(action=AuditEvent.Action.SEARCH)
        assert (first.seq, second.seq) == (1, 2)
        assert audit_chain_verify().ok

    def test_a_run_of_rows_written_in_one_statement_is_checked_as_a_run(self):
        """A bulk write (COPY, bulk_create) continues the chain as one run, or is refused whole."""
        prev = GENESIS_HASH
        rows = []
        for i, seq in enumerate(range(1, 4)):
            row = AuditEvent(occurred_at=timezone.now(), action=AuditEvent.Action.SEARCH, seq=seq, result_count=i,
                             prev_hash=prev)
            row.hash = prev = event_hash(prev_hash=prev, fields=vars_of(row))
            rows.append(row)
        broken = [AuditEvent(**{**vars_of(r), "prev_hash": ("e" * 64 if r.seq == 3 else r.prev_hash)}) for r in rows]
        with pytest.raises(DatabaseError, match="continue the chain"), transaction.atomic():
            AuditEvent.objects.bulk_create(broken)
        assert not AuditEvent.objects.exists()
        AuditEvent.objects.bulk_create(rows)
        report = audit_chain_verify()
        assert report.ok and report.rows_checked == 3

    @pytest.mark.parametrize("change", ["skip a position", "link elsewhere"])
    def test_the_database_refuses_a_row_that_does_not_continue_the_chain(self, change):
        first = audit_record(action=AuditEvent.Action.SEARCH)
        fields = {"occurred_at": timezone.now(), "action": AuditEvent.Action.SEARCH, "seq": 2}
        prev = first.hash
        if change == "skip a position":
            fields["seq"] = 3
        else:
            prev = "f" * 64  # links to a row that is not the newest
        with pytest.raises(DatabaseError, match="continue the chain"), transaction.atomic():
            AuditEvent.objects.create(prev_hash=prev, hash=event_hash(prev_hash=prev, fields=fields), **fields)
        assert audit_chain_verify().ok

    def test_deleting_the_oldest_rows_without_retention_is_found(self, tamper):
        events = _chain(4)
        with tamper():
            AuditEvent.objects.filter(pk__lte=events[1].pk).delete()
        assert audit_chain_verify().broken.event_id == events[2].pk

    def test_a_cut_off_tail_is_found_through_the_checkpoint(self, tamper):
        events = _chain(4)
        assert audit_chain_verify().ok
        with tamper():
            AuditEvent.objects.filter(pk__gte=events[2].pk).delete()
        report = audit_chain_verify()
        assert (report.broken.event_id, report.broken.position) == (events[3].pk, 3)
        assert "positions 3 to 4 are missing at the end" in report.broken.reason and "cut off" in report.broken.reason

    def test_a_rehashed_forgery_still_breaks_at_the_checkpoint(self, tamper):
        """Rewriting a row and recomputing every later hash leaves the checkpointed hash behind."""
        events = _chain(3)
        assert audit_chain_verify().ok
        with tamper():
            prev = events[0].hash
            for event in events[1:]:
                row = AuditEvent.objects.filter(pk=event.pk).values().get()
                row["purpose"] = "forged"
                new_hash = event_hash(prev_hash=prev, fields=row)
                AuditEvent.objects.filter(pk=event.pk).update(purpose="forged", prev_hash=prev, hash=new_hash)
                prev = new_hash
        assert audit_chain_verify().broken.event_id == events[-1].pk

    @pytest.mark.parametrize("remote_addr", ["10.0.0.7", "2001:0db8:0000::0001", "not-an-address"])
    def test_request_metadata_survives_the_round_trip_through_the_database(self, rf, users, remote_addr):
        request = rf.get("/", REMOTE_ADDR=remote_addr, HTTP_USER_AGENT="Firefox/140 ✓")
        request.user = users["key-worker"]
        from django.contrib.sessions.backends.db import SessionStore

        request.session = SessionStore()
        request.session.create()
        event = audit_record(action=AuditEvent.Action.VIEW_PERSON, request=request, subject_type="person", subject_id=4,
                             details={"nested": {"b": [1, 2.5, None], "a": "é"}})
        event.refresh_from_db()
        assert event.role == "key-worker" and event.user_agent == "Firefox/140 ✓" and len(event.session_ref) == 64
        assert event.ip_address == {"10.0.0.7": "10.0.0.7", "2001:0db8:0000::0001": "2001:db8::1"}.get(remote_addr)
        assert audit_chain_verify().ok

    def test_the_command_reports_an_intact_chain(self, capsys):
        _chain(3)
        call_command("audit_verify")
        out = capsys.readouterr().out
        assert "Audit chain intact: 3 events (positions 1..3" in out and "the genesis hash" in out


@pytest.mark.django_db
class TestRetention:
    def test_only_rows_past_the_period_go_and_the_rest_still_verifies(self, record_at, settings, capsys):
        settings.AUDIT_RETENTION_DAYS = 365
        now = timezone.now()
        old = [record_at(now - timedelta(days=400 + i), subject_type="person", subject_id=i) for i in range(3)]
        young = [record_at(now - timedelta(days=d), subject_type="person", subject_id=10 + d) for d in (300, 1)]

        removed = audit_retention_task()

        assert removed == 3
        remaining = list(AuditEvent.objects.order_by("seq"))
        assert [e.pk for e in remaining[:2]] == [e.pk for e in young]
        retention = remaining[-1]
        assert retention.action == AuditEvent.Action.RETENTION
        assert (retention.details["deleted"], retention.details["last_deleted_position"]) == (3, 3)
        checkpoint = RetentionCheckpoint.objects.get()
        assert (checkpoint.first_seq, checkpoint.last_seq, checkpoint.last_event_id, checkpoint.last_hash) == (
            1, 3, old[-1].pk, old[-1].hash)
        report = audit_chain_verify()
        assert report.ok and report.anchored_on_retention and report.rows_checked == 3
        assert (report.first_position, report.last_position) == (4, 6)
        call_command("audit_verify")
        assert "anchored on the retention purge" in capsys.readouterr().out

    def test_nothing_old_enough_means_nothing_deleted_and_nothing_recorded(self, record_at):
        record_at(timezone.now() - timedelta(days=10))
        assert audit_retention_purge(retention_days=30) is None
        assert AuditEvent.objects.count() == 1
        assert not RetentionCheckpoint.objects.exists()

    def test_a_purge_keeps_a_contiguous_prefix_when_clocks_overlap(self, record_at):
        """A row written after a younger one is kept, so the chain stays whole."""
        now = timezone.now()
        first = record_at(now - timedelta(days=40))
        record_at(now - timedelta(days=20))
        straggler = record_at(now - timedelta(days=35))  # old, but after a young row in the chain
        audit_retention_purge(retention_days=30)
        assert not AuditEvent.objects.filter(pk=first.pk).exists()
        assert AuditEvent.objects.filter(pk=straggler.pk).exists()
        assert audit_chain_verify().ok

    def test_a_purge_of_every_row_still_leaves_a_chain_that_verifies(self, record_at):
        old = [record_at(timezone.now() - timedelta(days=50 + i)) for i in range(2)]
        event = audit_retention_purge(retention_days=30)
        assert list(AuditEvent.objects.values_list("pk", flat=True)) == [event.pk]
        assert (event.seq, event.prev_hash) == (3, old[-1].hash)  # the chain goes on where it was
        assert audit_chain_verify().ok

    def test_after_a_purge_a_row_deleted_in_the_middle_is_still_a_gap(self, record_at, tamper):
        now = timezone.now()
        record_at(now - timedelta(days=40))
        kept = [record_at(now - timedelta(days=d)) for d in (3, 2, 1)]
        audit_retention_purge(retention_days=30)
        assert audit_chain_verify().ok
        with tamper():
            AuditEvent.objects.filter(pk=kept[1].pk).delete()
        report = audit_chain_verify()
        assert (report.broken.event_id, report.broken.position) == (kept[2].pk, 3)

    def test_deleting_the_retention_event_itself_is_found(self, record_at, tamper):
        now = timezone.now()
        record_at(now - timedelta(days=40))
        record_at(now - timedelta(days=1))
        event = audit_retention_purge(retention_days=30)
        with tamper():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert audit_chain_verify().broken.event_id == event.pk

    def test_retention_is_refused_a_period_under_the_minimum(self):
        with pytest.raises(ValueError, match=f"at least {MIN_RETENTION_DAYS}"):
            audit_retention_purge(retention_days=MIN_RETENTION_DAYS - 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL connections")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_valid():
    writers, per_writer = 6, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int):
        try:
            start.wait()
            for i in range(per_writer):
                audit_record(action=AuditEvent.Action.SEARCH, details={"writer": n, "i": i}, result_count=i)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()

    assert errors == []
    assert AuditEvent.objects.count() == writers * per_writer
    report = audit_chain_verify(chunk_size=7)
    assert report.ok, report.broken
    assert report.rows_checked == writers * per_writer
