"""Casework pages in-process: the eligible list (with filters), "My families", team cases and a case page.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/casework.py [--cases 1000] [--requests 40]

The database must already hold a population with family criteria (e.g. ``--scale bristol`` loaded and
refreshed). The script makes (once) a manager, 20 key workers in two teams and ``--cases`` open cases on
the highest-priority eligible families (through the services, allocated on a statutory basis), then
requests each page ``--requests`` times through Django's test client (middleware, the visibility rule and
the audit write included) and prints p50 and p95 per page, with the load average. Then, unless
``--outcomes-closed 0``, the nightly outcome check (``benchmarks/outcomes.py``) over that many closed cases due
for the sustained decision (and ``--outcomes-open`` open plans), seeded and rolled back, so the database is left as
it was. ``--restricted N`` also times the eligible list with N members of eligible families restricted (rolled
back): each such family is recomputed for the reader.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

import django

django.setup()

from django.test import Client
from django.urls import reverse

from apps.accounts.models import Role, Team, TeamMembership
from apps.accounts.services import demo_user_create
from apps.casework.models import Case
from apps.casework.services import (
    case_allocate,
    case_identify,
    case_seek_consent,
    case_triage,
    statutory_basis_record,
)
from apps.indicators.models import FamilyCriteria
from apps.people.models import FamilyMembership, Person

PASSWORD = "Bench-casework-2026"  # noqa: S105 (benchmark users on a local copy, signed in with force_login)


def user(username, role):
    from django.contrib.auth import get_user_model

    found = get_user_model().objects.filter(username=username).first()
    return found or demo_user_create(username=username, role=Role.objects.get(slug=role), password=PASSWORD,
                                     full_name=f"Bench {username}")


def world(cases: int):
    manager = user("bench_manager", "early-help-manager")
    workers = [user(f"bench_kw{n:02d}", "key-worker") for n in range(20)]
    teams = []
    for n in range(2):
        team, made = Team.objects.get_or_create(code=f"bench-{n}", defaults={"name": f"Bench team {n}"})
        if made:
            TeamMembership.objects.create(team=team, user=manager, is_manager=True)
            for worker in workers[n::2]:
                TeamMembership.objects.create(team=team, user=worker)
        teams.append(team)
    have = Case.objects.filter(state__in=Case.OPEN_STATES).count()
    families = (FamilyCriteria.objects.filter(is_eligible=True, family__is_restricted=False)
                .exclude(family__cases__isnull=False).order_by("-problem_count", "family_id")
                .select_related("family")[: max(0, cases - have)])
    for i, row in enumerate(families):
        case = case_identify(family=row.family, by=manager)
        case = case_seek_consent(case=case_triage(case=case, decision="accept", by=manager), by=manager)
        if i % 10:  # one in ten stays seeking consent, unallocated
            statutory_basis_record(case=case, basis="Bench", by=manager)
            worker = workers[i % 20]
            case_allocate(case=case, lead=worker, team=teams[i % 20 % 2], by=manager)
    return manager, workers


def measure(client, url, n):
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(n):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def with_restricted(count: int, client, n: int) -> None:
    """The eligible list while ``count`` members of eligible families are restricted (rolled back)."""
    from django.db import transaction

    with transaction.atomic():
        families = list(FamilyCriteria.objects.filter(is_eligible=True).values_list("family_id", flat=True))
        members = list(FamilyMembership.objects.filter(family_id__in=families).values_list("person_id", flat=True))
        Person.objects.filter(pk__in=random.Random(3).sample(members, count)).update(is_restricted=True)
        for label, url in (("page 1", reverse("casework:eligible")),
                           ("page 40", reverse("casework:eligible") + "?page=40")):
            p50, p95 = measure(client, url, n)
            print(f"eligible, {label}, {count} restricted   p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({load()})")
        transaction.set_rollback(True)


def outcomes(closed: int, open_: int) -> None:
    spec = importlib.util.spec_from_file_location("outcomes_bench", ROOT / "benchmarks" / "outcomes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.run(closed=closed, open_=open_, keep=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--restricted", type=int, default=0)
    parser.add_argument("--outcomes-closed", type=int, default=2000)
    parser.add_argument("--outcomes-open", type=int, default=1000)
    args = parser.parse_args()
    manager, workers = world(args.cases)
    print(f"families {FamilyCriteria.objects.count()}, eligible {FamilyCriteria.objects.filter(is_eligible=True).count()}, "
          f"open cases {Case.objects.filter(state__in=Case.OPEN_STATES).count()}")
    as_manager, as_worker = Client(), Client()
    as_manager.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
    as_worker.force_login(workers[1], backend="django.contrib.auth.backends.ModelBackend")
    case = Case.objects.filter(lead_practitioner=workers[1]).first()
    eligible = reverse("casework:eligible")
    pages = [
        ("eligible, page 1", as_manager, eligible),
        ("eligible, page 40", as_manager, f"{eligible}?page=40"),
        ("eligible, badge DA", as_manager, f"{eligible}?badge=DA"),
        ("eligible, area + badge", as_manager, f"{eligible}?area=south&badge=DA"),
        ("eligible, 3 problems, no case", as_manager, f"{eligible}?problems=3&has_case=no"),
        ("eligible, reference", as_manager, f"{eligible}?reference=F0001"),
        ("team cases (1,000 open)", as_manager, reverse("casework:team_cases")),
        ("team cases, page 10", as_manager, reverse("casework:team_cases") + "?page=10"),
        ("my families", as_worker, reverse("casework:my_families")),
        ("case page", as_worker, reverse("casework:case", kwargs={"pk": case.pk})),
    ]
    for label, client, url in pages:
        p50, p95 = measure(client, url, args.requests)
        print(f"{label:32} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({load()})")
    if args.restricted:
        with_restricted(args.restricted, as_manager, args.requests)
    if args.outcomes_closed:
        outcomes(args.outcomes_closed, args.outcomes_open)


if __name__ == "__main__":
    main()
