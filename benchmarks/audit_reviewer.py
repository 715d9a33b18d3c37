"""Audit log speed on PostgreSQL: reviewer pages over millions of events, and the audit write itself.

    createdb -h 127.0.0.1 -U postgres tf_audit_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tf_audit_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tf_audit_bench .venv/bin/python benchmarks/audit_reviewer.py --events 2000000

Seeding appends ``--events`` events (skipped when the log already holds that
many) through COPY, with every position and hash computed in Python exactly as
``audit_record`` computes them, continuing the existing chain (the database's
INSERT trigger checks each row and moves the chain head on, as for any write):
the seeded log is a real, verifiable chain, not a precomputed one. 600 users read over the last
365 days with a realistic mix of actions; timestamps rise with the id.

Then it prints, for each reviewer page, the median and worst of ``--repeat``
requests through the Django test client (the whole request: query, the
page's own audit event, rendering), and the p50/p95 of ``audit_record``.
Use a dedicated database: the rows cannot be deleted again (append-only).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django

django.setup()

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role
from apps.accounts.services import demo_user_create
from apps.audit.alerts import audit_alerts_compute
from apps.audit.chain import chain_head, event_hash, lock_chain
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

USERS = 600
ACTIONS = [("search", 40), ("view_person", 30), ("view_family", 15), ("view_attendance", 6), ("view_addresses", 6),
           ("export", 1), ("login", 2)]
ROLES = ["key-worker", "social-worker", "first-response", "police-safeguarding"]
COLUMNS = ("seq", "occurred_at", "user_id_snapshot", "username", "role", "session_ref", "ip_address", "user_agent", "action",
           "subject_type", "subject_id", "record_ids", "purpose", "details", "result_count", "prev_hash", "hash")


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    text = json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def seed(total: int, chunk: int = 100_000) -> None:
    existing = AuditEvent.objects.count()
    if existing >= total:
        print(f"seed: {existing:,} events already present, not adding more")
        return
    todo = total - existing
    rng = random.Random(20260401)
    actions = [a for a, w in ACTIONS for _ in range(w)]
    now = timezone.now()
    start = now - timedelta(days=365)
    step = (now - timedelta(minutes=5) - start) / todo
    began = time.perf_counter()
    with transaction.atomic():
        lock_chain()
        seq, prev = chain_head()
        done = 0
        while done < todo:
            buffer = io.StringIO()
            for i in range(done, min(done + chunk, todo)):
                user = rng.randrange(1, USERS + 1)
                action = rng.choice(actions)
                subject_type, subject_id, record_ids, details, count = "", "", [], {}, None
                if action == "search":
                    subject_type = "search"
                    count = rng.randrange(0, 30)
                    record_ids = [str(rng.randrange(1, 170_001)) for _ in range(min(count, 5))]
                    details = {"terms": f"surname{rng.randrange(5000)}", "filters": {}, "page": 1}
                elif action in ("view_person", "view_attendance", "view_addresses"):
                    subject_type, subject_id = "person", str(rng.randrange(1, 170_001))
                elif action == "view_family":
                    subject_type, subject_id = "family", str(rng.randrange(1, 54_001))
                elif action == "export":
                    subject_type, details, count = "family", {"format": "csv"}, rng.randrange(1, 10)
                    subject_id = str(rng.randrange(1, 54_001))
                else:
                    subject_type, subject_id = "user", str(100_000 + user)
                seq += 1
                fields = {
                    "seq": seq, "occurred_at": start + step * i, "user_id_snapshot": 100_000 + user, "username": f"worker{user:04d}",
                    "role": ROLES[user % len(ROLES)], "session_ref": f"{user:064x}", "ip_address": f"10.0.{user % 250}.{user % 200}",
                    "user_agent": "Mozilla/5.0 (benchmark)", "action": action, "subject_type": subject_type,
                    "subject_id": subject_id, "record_ids": record_ids,
                    "purpose": "Case work with an open family" if action != "login" else "", "details": details,
                    "result_count": count,
                }
                digest = event_hash(prev_hash=prev, fields=fields)
                row = [fields[c] for c in COLUMNS[:-2]] + [prev, digest]
                row[1] = row[1].isoformat()
                buffer.write("\t".join(_copy_value(v) for v in row) + "\n")
                prev = digest
            buffer.seek(0)
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(f"COPY audit_auditevent ({', '.join(COLUMNS)}) FROM STDIN", buffer)
            done = min(done + chunk, todo)
            print(f"  seeded {existing + done:,} / {total:,}", end="\r", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
    print(f"seed: added {todo:,} events in {time.perf_counter() - began:.1f} s (hashes chained in Python, COPY, "
          "each row checked by the chain trigger)")


def time_request(client: Client, label: str, url: str, params: dict | None, repeat: int, *, stream=False) -> None:
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url, params)
        size = sum(len(part) for part in response.streaming_content) if stream else len(response.content)
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200, (label, response.status_code)
    flag = "ok " if max(timings) < 1 else "SLOW"
    print(f"{flag} {label:<58} median {statistics.median(timings) * 1000:7.1f} ms   max {max(timings) * 1000:7.1f} ms"
          f"   ({size / 1024:.0f} KiB)")


def _percentiles(timings: list[float]) -> str:
    timings = sorted(timings)
    p50, p95 = timings[len(timings) // 2], timings[int(len(timings) * 0.95)]
    return f"p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, max {timings[-1] * 1000:.2f} ms"


def time_audit_record(n: int) -> None:
    """The write as a request pays it: inside its open transaction, then the commit it adds."""
    writes, commits = [], []
    for i in range(n):
        with transaction.atomic():
            began = time.perf_counter()
            audit_record(action=AuditEvent.Action.SEARCH, details={"terms": f"bench {i}"}, result_count=i, record_ids=[i, i + 1])
            wrote = time.perf_counter()
        commits.append(time.perf_counter() - wrote)
        writes.append(wrote - began)
    print(f"audit_record inside the request's transaction, {n} calls: {_percentiles(writes)}")
    print(f"the commit of that transaction (WAL flush the write adds): {_percentiles(commits)}")
    print(f"together: {_percentiles([w + c for w, c in zip(writes, commits, strict=True)])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--verify", action="store_true", help="also time a full chain verification")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to a dedicated benchmark database.")

    seed(args.events)
    reviewer = demo_user_create(username="bench_reviewer", role=Role.objects.get(slug="audit-reviewer"),
                                password="Bench-Reviewer-Password-1", full_name="Bench Reviewer")
    client = Client()
    client.force_login(reviewer, backend="django.contrib.auth.backends.ModelBackend")
    today = timezone.localdate()
    busy_user = 100_000 + 17
    print(f"\nreviewer pages over {AuditEvent.objects.count():,} events ({args.repeat} requests each):")
    pages = [
        ("events: no filter, page 1", reverse("audit:events"), None),
        ("events: no filter, page 200", reverse("audit:events"), {"page": 200}),
        ("events: by username", reverse("audit:events"), {"username": "worker0017"}),
        ("events: by action + 7-day range", reverse("audit:events"),
         {"action": "view_family", "date_from": today - timedelta(days=7), "date_to": today}),
        ("events: by username + action + 30-day range", reverse("audit:events"),
         {"username": "worker0017", "action": "search", "date_from": today - timedelta(days=30), "date_to": today}),
        ("events: 1-day range", reverse("audit:events"), {"date_from": today - timedelta(days=1), "date_to": today - timedelta(days=1)}),
        ("events: by person", reverse("audit:events"), {"subject_type": "person", "subject_id": "4242"}),
        ("who has looked at person 4242", reverse("audit:subject", args=["person", "4242"]), None),
        ("who has looked at family 777", reverse("audit:subject", args=["family", "777"]), None),
        ("user activity, 90 days per day", reverse("audit:user_activity", args=[busy_user]), None),
        ("user activity, 365 days per day", reverse("audit:user_activity", args=[busy_user]),
         {"date_from": today - timedelta(days=365), "date_to": today}),
        ("alerts list", reverse("audit:alerts"), None),
    ]
    for label, url, params in pages:
        time_request(client, label, url, params, args.repeat)
    time_request(client, "CSV export: one user's year (streamed in full)", reverse("audit:export_csv"),
                 {"username": "worker0017"}, args.repeat, stream=True)

    began = time.perf_counter()
    raised = audit_alerts_compute()
    print(f"alerts computed over the last 2 days: {raised} new, {(time.perf_counter() - began) * 1000:.0f} ms")

    print()
    time_audit_record(args.writes)
    if args.verify:
        from apps.audit.verification import audit_chain_verify

        began = time.perf_counter()
        report = audit_chain_verify()
        elapsed = time.perf_counter() - began
        print(f"chain verification: {report.rows_checked:,} rows, ok={report.ok}, {elapsed:.1f} s "
              f"({report.rows_checked / elapsed:,.0f} rows/s)")


if __name__ == "__main__":
    main()
