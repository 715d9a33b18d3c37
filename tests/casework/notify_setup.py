"""Builders for the notification and marker tests: a family engaged with a case led by the key worker."""

from __future__ import annotations

from datetime import date

from apps.accounts.models import Team, TeamMembership
from apps.casework.services import case_allocate, case_identify, case_seek_consent, case_triage, consent_record
from apps.sources.models import Organisation

ALLOCATED_ON = date(2025, 3, 1)


def team_for(users) -> Team:
    team, _ = Team.objects.get_or_create(code="north-eh", defaults={
        "name": "North early help", "email": "north.earlyhelp@bristol.example", "phone": "0117 000 0001"})
    TeamMembership.objects.get_or_create(team=team, user=users["key-worker"])
    TeamMembership.objects.get_or_create(team=team, user=users["early-help-manager"], defaults={"is_manager": True})
    return team


def engaged_case(users, made, *, partners=("ASC",), statutory: str = "", allocated_on=ALLOCATED_ON):
    """Identify, triage, seek consent (the mother's, sharing with ``partners``) and allocate to the key worker."""
    from apps.casework.services import statutory_basis_record

    manager, lead = users["early-help-manager"], users["key-worker"]
    lead.email = "kw@bristol.example"
    lead.save(update_fields=["email"])
    case = case_identify(family=made["family"], by=manager, on=date(2025, 2, 1))
    case_triage(case=case, decision="accept", by=manager)
    case_seek_consent(case=case, by=manager)
    if statutory:
        statutory_basis_record(case=case, basis=statutory, by=manager)
    else:
        consent_record(case=case, person=made["mum"], status="given", recorded_on=date(2025, 2, 20), by=lead,
                       partners=Organisation.objects.filter(code__in=partners))
    return case_allocate(case=case, lead=lead, team=team_for(users), by=manager, on=allocated_on)
