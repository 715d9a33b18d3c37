"""Shared casework fixtures: a team, a family and its case at each step of the journey.

``users`` (tests/conftest.py) gives one user per role. Here:

* ``team``: the North early help team; the early-help-manager user manages it, the key-worker user
  is a practitioner in it (the social-worker user is in no team);
* ``other_team``: a second team with its own manager (``other_manager``), for "another team's case";
* ``case_family``: ``tests.factories.family()`` (mum Kerry, child Jack, baby Lily; eligible criteria);
* ``identified_case`` / ``consent_case`` / ``allocated_case``: its case as identified, seeking consent,
  and allocated to the key worker in ``team`` (mum's consent given, shared with BCC);
* ``casework_world``: a dict with all of the above (what the generated tests build on).

Other helpers' tests may use these; they go through the services, never straight to the models.
"""

from __future__ import annotations

import pytest

from apps.accounts.models import Team, TeamMembership
from apps.casework.services import (
    case_allocate,
    case_identify,
    case_seek_consent,
    case_triage,
    consent_record,
)
from apps.people.models import FamilyMembership
from tests import factories


def make_team(*, code, name, manager=None, members=(), email="", phone=""):
    team = Team.objects.create(code=code, name=name, email=email, phone=phone)
    if manager is not None:
        TeamMembership.objects.create(team=team, user=manager, is_manager=True)
    for user in members:
        TeamMembership.objects.create(team=team, user=user)
    return team


def adults_of(family):
    return [m.person for m in FamilyMembership.objects.filter(family=family).exclude(role="child").select_related("person")]


def allocate_with_consent(*, case, lead, team, by, partners=()):
    """Take an identified case to allocated: accept, seek consent, every adult gives consent, allocate."""
    from django.utils import timezone

    case = case_triage(case=case, decision="accept", by=by)
    case = case_seek_consent(case=case, by=by)
    for adult in adults_of(case.family):
        consent_record(case=case, person=adult, status="given", recorded_on=timezone.localdate(), by=by,
                       partners=partners)
    return case_allocate(case=case, lead=lead, team=team, by=by)


def case_led_by_key_worker(users, family):
    """An allocated case of ``family`` led by the key-worker user, in a team the early-help-manager user manages
    (allocated on a statutory basis, so it needs no adult). What the generated tests' worlds use."""
    from apps.casework.services import statutory_basis_record

    manager = users["early-help-manager"]
    team = make_team(code=f"world-{family.pk}", name="World team", manager=manager, members=[users["key-worker"]])
    case = case_seek_consent(case=case_triage(case=case_identify(family=family, by=manager), decision="accept",
                                              by=manager), by=manager)
    statutory_basis_record(case=case, basis="Children Act 1989 s.47", by=manager)
    return case_allocate(case=case, lead=users["key-worker"], team=team, by=manager)


@pytest.fixture
def team(users):
    return make_team(code="eh-north", name="Early help North", manager=users["early-help-manager"],
                     members=[users["key-worker"]], email="eh.north@example.gov.uk", phone="0117 903 1234")


@pytest.fixture
def other_manager(make_user):
    return make_user("early-help-manager", username="other_manager")


@pytest.fixture
def other_team(other_manager, make_user):
    worker = make_user("key-worker", username="south_key_worker")
    return make_team(code="eh-south", name="Early help South", manager=other_manager, members=[worker])


@pytest.fixture
def case_family(db):
    return factories.family()


@pytest.fixture
def identified_case(case_family, users):
    return case_identify(family=case_family["family"], by=users["early-help-manager"])


@pytest.fixture
def consent_case(identified_case, users):
    manager = users["early-help-manager"]
    case = case_triage(case=identified_case, decision="accept", by=manager)
    return case_seek_consent(case=case, by=manager)


@pytest.fixture
def allocated_case(identified_case, team, users):
    from apps.sources.models import Organisation

    return allocate_with_consent(case=identified_case, lead=users["key-worker"], team=team,
                                 by=users["early-help-manager"], partners=Organisation.objects.filter(code="BCC"))


@pytest.fixture
def casework_world(users, team, other_team, other_manager, case_family, allocated_case):
    return {"users": users, "team": team, "other_team": other_team, "other_manager": other_manager,
            "family": case_family["family"], "mum": case_family["mum"], "child": case_family["child"],
            "case": allocated_case}
