"""Results claims, the discretionary override, the claim CSV and the quarterly return: what is refused, what is
recorded, what leaves the building, and who may see it."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.accounts.access import Viewer
from apps.accounts.models import Team, TeamMembership
from apps.audit.models import AuditEvent
from apps.casework.claim_selectors import (
    CLAIM_CSV_COLUMNS,
    claim_list,
    evidence_pack,
    pack_as_seen,
    quarterly_return,
)
from apps.casework.claim_services import ClaimRefused, claim_submit, need_override
from apps.casework.models import Case, CaseNeed, Claim, Consent
from apps.people.models import Family, FamilyMembership
from tests import factories
from tests.casework.claim_world import checked_case

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def fam():
    return factories.family(reference="F100001")


@pytest.fixture
def team(users):
    team = Team.objects.create(code="north-eh", name="North early help")
    TeamMembership.objects.create(team=team, user=users["early-help-manager"], is_manager=True)
    TeamMembership.objects.create(team=team, user=users["key-worker"])
    return team


def _viewer(user):
    return Viewer.for_user(user)


def test_a_claim_with_one_need_unmet_is_refused(fam, users):
    pm = users["programme-manager"]
    case = checked_case(fam["family"], by=pm, outcomes=("met", "not_sustained", "met"))
    with pytest.raises(ClaimRefused, match="not sustained"):
        claim_submit(case=case, by=pm)
    case.refresh_from_db()
    assert case.state == Case.State.OUTCOME_CHECKED and not Claim.objects.exists()
    claimable, not_claimable = claim_list(_viewer(pm))
    assert claimable == [] and [r.case for r in not_claimable] == [case]
    assert [n.need.code for n, _why in not_claimable[0].unmet] == ["offending"]

    response = _client(pm).post(reverse("casework:claim_submit", args=[case.pk]), follow=True)
    assert "cannot be claimed" in response.content.decode()
    assert not Claim.objects.exists()
    page = _client(pm).get(reverse("casework:claims")).content.decode()
    assert "Not met: achieved, but not sustained after closure" in page and "Offending in the last 12 months" in page


def test_a_case_with_no_needs_is_not_claimable(fam, users):
    pm = users["programme-manager"]
    case = checked_case(fam["family"], by=pm, outcomes=())
    with pytest.raises(ClaimRefused, match="no identified needs"):
        claim_submit(case=case, by=pm)


def test_every_need_met_is_listed_and_submitted_with_its_evidence(fam, users):
    pm = users["programme-manager"]
    case = checked_case(fam["family"], by=pm, persons=[fam["child"]],
                        outcome_records=[{"person": fam["child"].pk, "dataset": "dfe-attendance", "date": "2025-12-01",
                                          "ids": ["ATT-0042"], "detail": "94.1% over three terms"}])
    client = _client(pm)
    page = client.get(reverse("casework:claims")).content.decode()
    assert case.reference in page and reverse("casework:claim_evidence", args=[case.pk]) in page

    pack = client.get(reverse("casework:claim_evidence", args=[case.pk])).content.decode()
    assert "ATT-0042" in pack and "dfe-attendance" in pack and "Attends at least 90% across the last three full terms" in pack
    assert "Submit the claim" in pack

    with time_machine.travel(date(2026, 2, 10)):
        response = client.post(reverse("casework:claim_submit", args=[case.pk]))
    assert response.status_code == 302
    claim = Claim.objects.get(case=case)
    case.refresh_from_db()
    assert (case.state, case.claimed_on, claim.quarter, claim.submitted_by) == (
        Case.State.CLAIMED, date(2026, 2, 10), "2026-Q1", pm)
    assert [n["need"] for n in claim.evidence["needs"]] == ["attendance", "offending", "da-incident"]
    assert claim.evidence["needs"][0]["outcome"]["verdicts"][1]["records"][0]["ids"] == ["ATT-0042"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CLAIM, subject_id=str(case.pk)).count() == 1
    assert case.transitions.filter(to_state=Case.State.CLAIMED, by=pm).exists()
    with pytest.raises(ClaimRefused):  # once only
        claim_submit(case=case, by=pm)


def test_a_managers_override_with_a_reason_makes_the_case_claimable_and_is_recorded(fam, users, team):
    pm, manager = users["programme-manager"], users["early-help-manager"]
    case = checked_case(fam["family"], by=pm, outcomes=("met", "not_met", "met"), team=team)
    unmet = case.needs.get(outcome_status=CaseNeed.Outcome.NOT_MET)
    client = _client(manager)
    assert unmet.need.name in client.get(reverse("casework:overrides")).content.decode()

    refused = client.post(reverse("casework:need_override", args=[unmet.pk]), {"reason": "  "})
    assert refused.status_code == 400 and "Give the reason for the override" in refused.content.decode()
    unmet.refresh_from_db()
    assert not unmet.is_met

    reason = "Offence was a single incident before the plan; youth offending team confirm no further concern"
    assert client.post(reverse("casework:need_override", args=[unmet.pk]), {"reason": reason}).status_code == 302
    unmet.refresh_from_db()
    assert unmet.is_met and (unmet.override_reason, unmet.override_by) == (reason, manager)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CLAIM, subject_id=str(case.pk)).get()
    assert event.details["override"] == "offending" and event.username == manager.username

    claimable, _ = claim_list(_viewer(pm))
    assert [r.case for r in claimable] == [case]
    pack = _client(pm).get(reverse("casework:claim_evidence", args=[case.pk])).content.decode()
    assert reason in pack and "Override" in pack and manager.username in pack
    with time_machine.travel(date(2026, 5, 2)):
        claim_submit(case=case, by=pm)
    rows = list(csv.DictReader(io.StringIO(
        _client(pm).get(reverse("casework:claims_csv"), {"quarter": "2026-Q2"}).content.decode())))
    assert [(r["case_reference"], r["override"], r["needs_met"]) for r in rows] == [(case.reference, "yes", "3")]


def test_only_a_manager_may_override_and_only_their_teams_cases(fam, users, team, make_user):
    pm = users["programme-manager"]
    case = checked_case(fam["family"], by=pm, outcomes=("not_met",), team=team)
    unmet = case.needs.get()
    url = reverse("casework:need_override", args=[unmet.pk])
    assert _client(pm).post(url, {"reason": "Programme manager"}).status_code == 404
    other = make_user("early-help-manager", username="south_manager")
    TeamMembership.objects.create(team=Team.objects.create(code="south", name="South"), user=other, is_manager=True)
    assert _client(other).post(url, {"reason": "Not my team"}).status_code == 404
    unmet.refresh_from_db()
    assert not unmet.override_reason
    with pytest.raises(ClaimRefused):
        need_override(case_need=unmet, reason="", by=users["early-help-manager"])


def test_the_claim_csv_carries_no_personal_data(fam, users):
    pm = users["programme-manager"]
    members = [fam["mum"], fam["child"], fam["baby"]]
    case = checked_case(fam["family"], by=pm, persons=members)
    with time_machine.travel(date(2026, 3, 31)):
        claim_submit(case=case, by=pm)
    response = _client(pm).get(reverse("casework:claims_csv"), {"quarter": "2026-Q1"})
    body = response.content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert tuple(rows[0]) == CLAIM_CSV_COLUMNS
    assert rows[1][:3] == [case.reference, "F100001", "2026-Q1"]
    for person in members:
        for value in (person.forename, person.surname, person.date_of_birth.isoformat(),
                      person.date_of_birth.strftime("%d/%m/%Y")):
            assert value not in body
    assert fam["home"].postcode not in body and fam["home"].street not in body
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, subject_type="claims").get()
    assert (event.result_count, event.details["quarter"]) == (1, "2026-Q1")
    assert event.record_ids == [str(fam["family"].pk)]  # the export names the families it carried
    assert _client(pm).get(reverse("casework:claims_csv"), {"quarter": "2026-Q5"}).status_code == 404


def _other_family(reference):
    made = factories.person(forename="Ada", surname="Quinlan", dob=date(2014, 4, 4))
    factories.source_record(made, "bcc-housing-tenancies")
    family = Family.objects.create(reference=reference)
    FamilyMembership.objects.create(family=family, person=made, role=FamilyMembership.Role.CHILD)
    return family


def test_the_quarterly_return_counts_families_by_quarter(fam, users):
    pm = users["programme-manager"]
    first = checked_case(fam["family"], by=pm, opened_on=date(2025, 1, 10), allocated_on=date(2025, 2, 3),
                         closed_on=date(2025, 6, 30), checked_on=date(2026, 1, 5))
    Consent.objects.create(case=first, person=fam["mum"], status=Consent.Status.GIVEN, recorded_on=date(2025, 1, 28),
                           recorded_by=pm, recorded_at=first.transitions.first().at)
    second = checked_case(_other_family("F100002"), by=pm, outcomes=("met", "not_met"), opened_on=date(2025, 3, 2),
                          allocated_on=date(2025, 4, 1), closed_on=date(2025, 9, 30), checked_on=date(2026, 3, 1))
    Case.objects.create(reference="OPEN1", family=_other_family("F100003"), opened_on=date(2025, 11, 5))
    with time_machine.travel(date(2026, 4, 2)):
        claim_submit(case=first, by=pm)
    rows = {r["quarter"]: r for r in quarterly_return(_viewer(pm))}
    assert list(rows) == ["2026-Q2", "2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2", "2025-Q1"]
    assert rows["2025-Q1"] == {"quarter": "2025-Q1", "identified": 2, "consented": 1, "allocated": 1, "closed": 0,
                             "achieved": 0, "claimed": 0}
    assert (rows["2025-Q2"]["allocated"], rows["2025-Q2"]["closed"], rows["2025-Q3"]["closed"]) == (1, 1, 1)
    assert rows["2025-Q4"]["identified"] == 1  # an open case, counted though the case itself is not shown
    assert (rows["2026-Q1"]["achieved"], rows["2026-Q2"]["claimed"]) == (1, 1)  # second: a need not met
    assert second.state == Case.State.OUTCOME_CHECKED

    body = _client(pm).get(reverse("casework:quarterly_return_csv")).content.decode()
    assert body.splitlines()[0] == "quarter,identified,consented,allocated,closed,achieved,claimed"
    assert "2025-Q1,2,1,1,0,0,0" in body
    assert "2025-Q1" in _client(pm).get(reverse("casework:quarterly_return")).content.decode()


def test_a_restricted_family_is_in_no_list_count_or_export(fam, users):
    pm = users["programme-manager"]
    secret = _other_family("F100009")
    secret.is_restricted, secret.restriction_reason = True, "High-profile case"
    secret.save()
    hidden = checked_case(secret, by=pm, closed_on=date(2025, 6, 1))
    shown = checked_case(fam["family"], by=pm, closed_on=date(2025, 6, 1))
    claimable, _ = claim_list(_viewer(pm))
    assert [r.case for r in claimable] == [shown]
    with time_machine.travel(date(2026, 1, 20)):
        claim_submit(case=hidden, by=pm)  # the service is not a reader: the claim exists, hidden from pm
        claim_submit(case=shown, by=pm)
    client = _client(pm)
    assert client.get(reverse("casework:claim_evidence", args=[hidden.pk])).status_code == 404
    csv_body = client.get(reverse("casework:claims_csv"), {"quarter": "2026-Q1"}).content.decode()
    assert shown.reference in csv_body and hidden.reference not in csv_body and "F100009" not in csv_body
    rows = {r["quarter"]: r for r in quarterly_return(_viewer(pm))}
    assert (rows["2025-Q2"]["closed"], rows["2026-Q1"]["claimed"], rows["2025-Q1"]["identified"]) == (1, 1, 1)


def test_the_evidence_pack_shows_only_members_and_records_the_reader_may_see(fam, users):
    pm = users["programme-manager"]
    child, mum = fam["child"], fam["mum"]
    child.is_restricted, child.restriction_reason = True, "Relative of staff"
    child.save()
    records = [{"person": child.pk, "dataset": "dfe-attendance", "date": "2025-12-01", "ids": ["ATT-SECRET"]},
               {"person": mum.pk, "dataset": "asc-domestic-abuse", "date": "2025-11-01", "ids": ["DA-0007"]}]
    case = checked_case(fam["family"], by=pm, persons=[child, mum], outcome_records=records)
    seen = pack_as_seen(_viewer(pm), evidence_pack(case))
    need = seen["needs"][0]
    assert [p.pk for p in need["members"]] == [mum.pk]
    assert [r["ids"] for r in need["outcome"]["verdicts"][1]["records"]] == [["DA-0007"]]
    full = evidence_pack(case)["needs"][0]["outcome"]["verdicts"][1]["records"]
    child.is_restricted = False
    child.save()
    police = pack_as_seen(_viewer(users["police-safeguarding"]), evidence_pack(case))  # no school section
    assert police["needs"][0]["outcome"]["verdicts"][1]["records"] == [full[1]]
    assert [r["ids"] for r in pack_as_seen(_viewer(pm), evidence_pack(case))["needs"][0]["outcome"]["verdicts"][1][
        "records"]] == [["ATT-SECRET"], ["DA-0007"]]
    child.is_restricted = True
    child.save()
    page = _client(pm).get(reverse("casework:claim_evidence", args=[case.pk])).content.decode()
    assert "DA-0007" in page and "ATT-SECRET" not in page and child.forename not in page


def test_claim_pages_are_the_programme_managers_alone(fam, users, team):
    kw = users["key-worker"]
    case = checked_case(fam["family"], by=kw, lead=kw, team=team)
    client = _client(kw)
    for name, args in (("casework:claims", []), ("casework:claim_evidence", [case.pk]), ("casework:claims_csv", []),
                       ("casework:quarterly_return", []), ("casework:quarterly_return_csv", [])):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert client.post(reverse("casework:claim_submit", args=[case.pk])).status_code == 404
    assert not Claim.objects.exists()
    # the programme manager sees a case only past closure
    Case.objects.filter(pk=case.pk).update(state=Case.State.PLAN_AGREED, closed_on=None)
    assert _client(users["programme-manager"]).get(
        reverse("casework:claim_evidence", args=[case.pk])).status_code == 404


def test_the_pack_names_the_partners_rows_an_auditor_can_look_up(fam, users):
    """Records as the nightly outcome check stores them (source record ids) come out as dataset and source key."""
    pm = users["programme-manager"]
    offence = factories.indicator(fam["mum"], "person-committed-offence", on=date(2025, 9, 1), dataset_code="asc-offenders")
    row = offence.source_records.get()
    record = {"kind": "indicator", "id": offence.pk, "person": fam["mum"].pk, "indicator": "person-committed-offence",
              "date": "2025-09-01", "dataset": "asc-offenders", "source_records": [row.pk]}
    case = checked_case(fam["family"], by=pm, persons=[fam["mum"]], outcomes=("not_sustained",),
                        outcome_records=[record])
    verdict = evidence_pack(case)["needs"][0]["outcome"]["verdicts"][1]
    assert (verdict["result"], verdict["records"][0]["ids"]) == ("Not met", [f"asc-offenders {row.source_key}"])
    page = _client(pm).get(reverse("casework:claim_evidence", args=[case.pk])).content.decode()
    assert row.source_key in page and "2025-09-01" in page and "Submit the claim" not in page
