"""Consent per member: given, refused, withdrawn; the newest in force; withdrawal takes effect at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.access import Viewer
from apps.casework.models import Consent
from apps.casework.selectors import case_summary
from apps.casework.services import CaseStateError, consent_in_force, consent_missing, consent_record
from apps.sources.models import Organisation

pytestmark = pytest.mark.django_db


def test_withdrawal_is_recorded_and_in_force_with_no_partners(allocated_case, case_family, users):
    mum = case_family["mum"]
    before = consent_in_force(allocated_case)[mum.pk]
    assert before.status == "given" and [o.code for o in before.partners.all()] == ["BCC"]
    consent_record(case=allocated_case, person=mum, status="withdrawn", recorded_on=timezone.localdate(),
                   by=users["key-worker"], partners=Organisation.objects.all(), note="Said so at the visit")
    now = consent_in_force(allocated_case)[mum.pk]
    assert now.status == "withdrawn" and not now.partners.exists()
    summary = case_summary(viewer=Viewer.for_user(users["key-worker"]), case=allocated_case)
    member = next(m for m in summary.members if m.person == mum)
    assert [c.status for c in member.history] == ["given", "withdrawn"] and member.in_force.status == "withdrawn"


def test_refusal_leaves_the_adult_missing(consent_case, case_family, users):
    consent_record(case=consent_case, person=case_family["mum"], status="refused", recorded_on=timezone.localdate(),
                   by=users["early-help-manager"])
    assert consent_missing(consent_case) == [case_family["mum"]]


def test_consent_in_the_future_or_for_a_stranger_is_refused(consent_case, users):
    from tests import factories

    manager = users["early-help-manager"]
    adult = consent_case.family.memberships.exclude(role="child").first().person
    with pytest.raises(CaseStateError, match="future"):
        consent_record(case=consent_case, person=adult, status="given",
                       recorded_on=timezone.localdate() + dt.timedelta(days=1), by=manager)
    stranger = factories.person(forename="Abel", surname="Outsider", dob=dt.date(1970, 1, 1))
    with pytest.raises(CaseStateError, match="members of the case's family"):
        consent_record(case=consent_case, person=stranger, status="given", recorded_on=timezone.localdate(), by=manager)
    assert not Consent.objects.filter(person=stranger).exists()
