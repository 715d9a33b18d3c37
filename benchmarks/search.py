"""Search, person and family pages over HTTP: latency (p50/p95/p99), throughput, query counts, and the audit write's cost.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/search.py --extract DIR [--requests 300] [--workers 2]

The database must already hold a population loaded through the pipeline (synth -> import_all ->
match -> refresh_indicators), e.g. ``--scale bristol``; ``--extract`` is that extract's folder
(its ground truth gives the search queries: misspellings, nicknames, swapped names, partial
dates, old postcodes). The script starts gunicorn on 127.0.0.1, signs in as a benchmark key
worker, and drives:

* search: the synthetic queries, with a purpose, as a practitioner types them;
* person page and family page of the expected people.

It runs in alternating rounds with the audit write (as in production) and with it replaced by
a no-op inside the gunicorn workers (``benchmarks/gunicorn_no_audit.py``), prints the
difference, and times ``audit_record`` itself in-process. Query counts per page come from Django's test client in this process, for pages
of people with few and with many rows (to show no page's query count grows with its rows).
Search quality (the expected person in the top 3) is printed for the same queries.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django

django.setup()

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.accounts.services import demo_user_create
from apps.caseview.evaluation import build_cases, evaluate
from apps.people.models import FamilyMembership, Person
from apps.schools.models import AttendanceMonth

USERNAME, PASSWORD = "bench_key_worker", "Benchmark-Key-Worker-2026"
PURPOSE = "Safeguarding enquiry"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return f"p50 {pick(0.50) * 1000:6.1f} ms  p95 {pick(0.95) * 1000:6.1f} ms  p99 {pick(0.99) * 1000:6.1f} ms"


class Session:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def login(self):
        page = self.opener.open(f"{self.base}/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(f"{self.base}/accounts/login/", data=data, headers={"Referer": f"{self.base}/accounts/login/"})
        body = self.opener.open(request).read().decode()
        assert "Sign out" in body, "benchmark user could not sign in"

    def get(self, path: str) -> float:
        started = time.perf_counter()
        with self.opener.open(f"{self.base}{path}") as response:
            response.read()
            assert response.status == 200, (path, response.status)
        return time.perf_counter() - started


def serve(port: int, workers: int, no_audit: bool):
    env = dict(os.environ, DEBUG="true", SECURE_COOKIES="false", AXES_ENABLED="false")
    cmd = [str(ROOT / ".venv/bin/gunicorn"), "thinkfamily.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--log-level", "warning"]
    if no_audit:
        cmd += ["--config", str(ROOT / "benchmarks/gunicorn_no_audit.py")]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def drive(base: str, cases, person_ids, family_ids, requests: int) -> dict[str, list[float]]:
    session = Session(base)
    session.login()
    timings = {"search": [], "person": [], "family": []}
    for i in range(requests):
        case = cases[i % len(cases)]
        query = urllib.parse.urlencode({"q": case.query, "purpose": PURPOSE})
        timings["search"].append(session.get(f"/people/?{query}"))
        timings["person"].append(session.get(f"/people/person/{person_ids[i % len(person_ids)]}/"))
        timings["family"].append(session.get(f"/people/family/{family_ids[i % len(family_ids)]}/"))
    return timings


def query_counts(person_ids) -> None:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=USERNAME), backend="django.contrib.auth.backends.ModelBackend")
    by_rows = sorted(person_ids, key=lambda pk: AttendanceMonth.objects.filter(person_id=pk).count())
    print("\nqueries per page (few rows vs many rows):")
    for pk in (by_rows[0], by_rows[-1]):
        rows = AttendanceMonth.objects.filter(person_id=pk).count()
        family = FamilyMembership.objects.filter(person_id=pk).values_list("family_id", flat=True).first()
        for name, path in (("person", f"/people/person/{pk}/"), ("school", f"/people/person/{pk}/school/"),
                           ("addresses", f"/people/person/{pk}/addresses/"),
                           ("family", f"/people/family/{family}/" if family else None)):
            if not path:
                continue
            with CaptureQueriesContext(connection) as ctx:
                client.get(path)
            print(f"  person {pk} ({rows:3d} attendance months)  {name:<9} {len(ctx.captured_queries):3d} queries")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/people/", {"q": "Smith", "purpose": PURPOSE})
    print(f"  search 'Smith'                               {len(ctx.captured_queries):3d} queries")


def audit_write_timing(user, samples: int = 200) -> None:
    """The audit write itself, in a transaction like a request's, and the commit it adds."""
    from django.db import transaction

    from apps.audit.models import AuditEvent
    from apps.audit.services import audit_record

    writes, commits = [], []
    for _ in range(samples):
        started = time.perf_counter()
        with transaction.atomic():
            audit_record(action=AuditEvent.Action.VIEW_PERSON, user=user, subject_type="person", subject_id="benchmark")
            written = time.perf_counter()
        writes.append(written - started)
        commits.append(time.perf_counter() - written)
    print(f"\naudit_record in-process ({samples} writes): write {percentiles(writes)}; commit {percentiles(commits)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extract", type=Path, required=True, help="the extract folder the database was loaded from")
    parser.add_argument("--requests", type=int, default=300, help="requests per page kind per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8911)
    parser.add_argument("--rounds", type=int, default=2, help="alternating with/without-audit rounds")
    args = parser.parse_args()

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
          f"{Person.objects.count():,} people, {FamilyMembership.objects.values('family').distinct().count():,} families")
    demo_user_create(username=USERNAME, role=Role.objects.get(slug="key-worker"), password=PASSWORD, full_name="Bench Mark")
    cases = build_cases(args.extract / "ground_truth", per_kind=25)
    person_ids = [c.person_id for c in cases]
    family_ids = list(FamilyMembership.objects.filter(person_id__in=person_ids).values_list("family_id", flat=True).distinct())
    print(f"{len(cases)} search cases, {len(person_ids)} people, {len(family_ids)} families")

    from django.contrib.auth import get_user_model

    from apps.accounts.access import Viewer
    from apps.caseview import search
    from apps.caseview.query import parse_query

    viewer = Viewer.for_user(get_user_model().objects.get(username=USERNAME))
    report = evaluate(cases, lambda q: search.person_search(viewer=viewer, query=parse_query(q)).person_ids)
    print(f"search quality: {report.hits}/{report.cases} expected person in the top 3 ({report.hit_rate:.1%})")
    for kind, (hit, total) in sorted(report.by_kind.items()):
        print(f"  {kind:<20} {hit}/{total}")

    results = {"with audit": {"search": [], "person": [], "family": []}, "without audit": {"search": [], "person": [], "family": []}}
    elapsed = {"with audit": 0.0, "without audit": 0.0}
    # alternate the two modes so neither gets the benefit of a warmer cache
    for _round in range(args.rounds):
        for label, no_audit in (("without audit", True), ("with audit", False)):
            process = serve(args.port, args.workers, no_audit)
            try:
                base = f"http://127.0.0.1:{args.port}"
                drive(base, cases, person_ids, family_ids, 10)  # warm up the workers
                started = time.perf_counter()
                for kind, samples in drive(base, cases, person_ids, family_ids, args.requests).items():
                    results[label][kind].extend(samples)
                elapsed[label] += time.perf_counter() - started
            finally:
                process.terminate()
                process.wait()
    for label in ("with audit", "without audit"):
        total = sum(len(v) for v in results[label].values())
        print(f"\n{label}: {total} requests in {elapsed[label]:.1f} s = {total / elapsed[label]:.1f} requests/s "
              f"(one client, {args.workers} workers, {args.rounds} alternating rounds)")
        for kind, samples in results[label].items():
            print(f"  {kind:<7} {percentiles(samples)}")
    print("\naudit write's cost over HTTP (with minus without):")
    for kind in ("search", "person", "family"):
        with_, without = sorted(results["with audit"][kind]), sorted(results["without audit"][kind])
        p95 = lambda s: s[int(0.95 * len(s))]  # noqa: E731
        print(f"  {kind:<7} p50 {(statistics.median(with_) - statistics.median(without)) * 1000:+6.1f} ms   "
              f"p95 {(p95(with_) - p95(without)) * 1000:+6.1f} ms")
    audit_write_timing(viewer.user)
    query_counts(person_ids)


if __name__ == "__main__":
    main()
