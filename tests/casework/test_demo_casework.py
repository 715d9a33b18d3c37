"""``demo_casework`` (the last step of ``make demo``) on a small world of eligible families: a case in each state of
the journey, made through the services (each audited), outcomes checked with every need met so the claim list is
not empty, one claimed; a restricted family is never used; a second run adds nothing."""

from collections import Counter
from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from apps.accounts.access import Viewer
from apps.accounts.models import TeamMembership
from apps.audit.models import AuditEvent
from apps.casework.claim_selectors import claim_list
from apps.casework.models import Case, CaseNeed, CaseTransition, Claim, Consent
from tests import factories

AS_OF = date(2026, 9, 1)  # the data's date; the families' records are from February 2025


def run(as_of=AS_OF) -> str:
    out = StringIO()
    with time_machine.travel(datetime(2026, 9, 15, 10, tzinfo=UTC), tick=False):
        call_command("demo_casework", seed=7, as_of=as_of, stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {"cases": Case.objects.count(), "transitions": CaseTransition.objects.count(),
            "consents": Consent.objects.count(), "needs": CaseNeed.objects.count(), "claims": Claim.objects.count(),
            "team members": TeamMembership.objects.count(),
            "audit": AuditEvent.objects.filter(action__in=[AuditEvent.Action.CASE_CHANGE, AuditEvent.Action.CLAIM]).count()}


@pytest.fixture
def world(users):
    families = [factories.family(reference=f"F0900{n:02d}")["family"] for n in range(9)]
    restricted = families[4]
    restricted.is_restricted = True
    restricted.save(update_fields=["is_restricted"])
    return {"families": families, "restricted": restricted}


@pytest.mark.django_db
def test_demo_casework_makes_each_state_through_the_services_and_a_second_run_adds_nothing(world, users):
    printed = run()

    states = Counter(Case.objects.values_list("state", flat=True))
    assert states == {"identified": 1, "consent": 1, "allocated": 1, "plan_agreed": 1, "closed": 1,
                      "outcome_checked": 2, "claimed": 1}
    assert not Case.objects.filter(family=world["restricted"]).exists()
    team = Case.objects.get(state="allocated").team
    assert team.name == "Early help North"
    assert set(team.memberships.values_list("user__username", "is_manager")) == {
        ("early_help_manager", True), ("key_worker", False), ("social_worker", False)}
    assert set(Case.objects.exclude(state="identified").exclude(state="consent")
               .values_list("lead_practitioner__username", flat=True)) == {"key_worker"}

    # the closed cases were due: the outcome check decided every need met, by the data or the practitioner
    checked = Case.objects.filter(state__in=["outcome_checked", "claimed"])
    assert all(c.outcome_checked_on == AS_OF for c in checked)
    needs = CaseNeed.objects.filter(case__in=checked)
    assert needs.count() >= 2 * checked.count() and all(n.is_met and not n.override_reason for n in needs)
    assert needs.exclude(outcome_measure="practitioner").exists()
    assert Case.objects.get(state="closed").outcome_checked_on is None  # closed last month: not yet due
    claimable, _not = claim_list(Viewer.for_user(users["programme-manager"]))
    assert len(claimable) == 2  # the two checked and not yet claimed
    claim = Claim.objects.get()
    assert claim.submitted_by == users["programme-manager"] and claim.quarter == "2026-Q3"

    # every case's every step is a transition, and audited
    for case in Case.objects.all():
        steps = list(case.transitions.order_by("pk").values_list("to_state", flat=True))
        assert steps[0] == "identified" and steps[-1] == case.state
        audited = AuditEvent.objects.filter(action=AuditEvent.Action.CASE_CHANGE, subject_type="case")
        assert audited.filter(subject_id=str(case.pk)).count() >= len(steps) - (case.state in ("outcome_checked", "claimed"))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CLAIM, subject_id=str(claim.case_id)).exists()
    assert "Early help North" in printed and printed.count("(family F0900") == 8

    before = counts()
    again = run()
    assert counts() == before
    assert again.count("already there") == 8 and "0 case(s) made, 0 claimed" in again


@pytest.mark.django_db
def test_without_demo_users_it_says_what_to_run(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="run demo_users first"):
        run()
