"""A family with a case taken through the services to allocation (and closure), for the progress and pack tests."""

from __future__ import annotations

from datetime import date

from apps.accounts.models import Role, Team, TeamMembership
from apps.accounts.services import demo_user_create
from apps.casework import services
from apps.schools.models import AttendanceMonth
from apps.sources.models import Dataset
from tests import factories
from tests.conftest import PASSWORD

ALLOCATED_ON = date(2025, 3, 1)  # last full term: autumn 2024/25, where the child attended 3 of 30 sessions
CLOSED_ON = date(2025, 5, 1)  # last full term: spring 2024/25


def role_without(section: str, *, like: str = "key-worker") -> Role:
    """A case-working role like ``like`` that does not see ``section``."""
    base = Role.objects.get(slug=like)
    role = Role.objects.create(slug=f"{like}-no-{section}", name=f"{base.name} without {section}",
                               capabilities=base.capabilities, is_case_role=True)
    role.sections.set(base.sections.exclude(code=section))
    return role


def user_in(role: Role, username: str):
    return demo_user_create(username=username, role=role, password=PASSWORD, full_name=f"Test {username}")


def allocated_case(*, lead, manager, reference="F000777"):
    """A family (factories.family) whose case is allocated to ``lead`` in a team ``manager`` manages."""
    made = factories.family(reference=reference)
    team = Team.objects.create(code=f"team-{reference.lower()}", name=f"Team {reference}")
    TeamMembership.objects.create(team=team, user=lead)
    TeamMembership.objects.create(team=team, user=manager, is_manager=True)
    case = services.case_identify(family=made["family"], by=manager, on=date(2025, 2, 1))
    case = services.case_triage(case=case, decision="accept", by=manager)
    case = services.case_seek_consent(case=case, by=manager)
    services.consent_record(case=case, person=made["mum"], status="given", recorded_on=date(2025, 2, 20), by=manager)
    case = services.case_allocate(case=case, lead=lead, team=team, by=manager, on=ALLOCATED_ON)
    return case, made


def time_passes(made) -> None:
    """What the data says between allocation and closure: the child attends far better in the spring term,
    and mum commits an offence."""
    AttendanceMonth.objects.create(person=made["child"], school=made["school"], month=date(2025, 3, 1),
                                   sessions_attended=30, sessions_possible=30, dataset=Dataset.objects.get(code="dfe-attendance"))
    factories.indicator(made["mum"], "person-committed-offence", on=date(2025, 4, 2), dataset_code="asc-offenders")


def close(case, *, by):
    return services.case_close(case=case, reason="outcomes_met", by=by, on=CLOSED_ON)
