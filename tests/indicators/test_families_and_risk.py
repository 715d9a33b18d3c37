"""Family criteria (badges, problems, eligibility, priority) and risk scores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.indicators.models import FamilyCriteria, PersonIndicator, RiskModel
from apps.indicators.risk import auc
from apps.indicators.selectors import eligible_families_by_priority
from apps.indicators.services import indicators_refresh
from tests import factories

AS_OF = date(2025, 3, 1)


def test_a_family_with_all_six_problems(build):
    mum = build.person(forename="Kerry", dob=date(1985, 1, 1), sex="F")
    child = build.person(forename="Jack", dob=date(2011, 3, 12))
    family = build.family((mum, "parent"), (child, "child"))
    for person, code in ((mum, "person-committed-asb"), (mum, "out-of-work-benefits"), (mum, "victim-of-dva"),
                         (mum, "mental-health-concern"), (child, "child-in-need")):
        factories.indicator(person, code)
    build.year_of_attendance(child, 600)

    run = indicators_refresh(as_of=AS_OF)

    criteria = FamilyCriteria.objects.get(family=family)
    assert criteria.problem_count == 6 and criteria.is_eligible
    assert criteria.badges == ["SUPPORT", "SCHOOL", "INCOME", "ASB", "HEALTH", "DA"]
    assert criteria.problems == ["crime-asb", "school-attendance", "children-need-help", "worklessness",
                                 "domestic-abuse", "health"]
    assert criteria.reasons_text.startswith("Eligible: meets 6 of the 6 headline problems (Crime and anti-social behaviour;")
    # unit costs from fixtures/risk_models.json: 700 + 8000 + 3000 + 2200 + 1700 + 1200 (persistently absent)
    assert criteria.estimated_cost == Decimal("16800")
    school = next(r for r in criteria.reasons if r.get("badge") == "SCHOOL")
    assert school == {"category": "school", "section": "school", "badge": "SCHOOL", "problem": "school-attendance",
                      "person_ids": [child.pk], "indicators": ["child-persistently-absent"]}
    assert family.reference in run.newly_eligible


def test_one_problem_is_not_enough_and_only_current_members_count(build):
    mum = build.person(forename="Kerry", dob=date(1985, 1, 1), sex="F")
    dad = build.person(forename="Gary", dob=date(1983, 1, 1))
    child = build.person(forename="Jack", dob=date(2011, 3, 12))
    family = build.family((mum, "parent"), (child, "child"), (dad, "parent", date(2024, 6, 30)))
    factories.indicator(mum, "out-of-work-benefits")
    factories.indicator(dad, "perpetrator-of-dva")  # he left the family before the refresh date

    indicators_refresh(as_of=AS_OF)

    criteria = FamilyCriteria.objects.get(family=family)
    assert criteria.badges == ["INCOME"] and criteria.problem_count == 1 and not criteria.is_eligible
    assert criteria.reasons_text.startswith("Not eligible: meets 1 of the 6 headline problems "
                                            "(Worklessness and financial exclusion); at least 2 are needed.")


def test_a_person_in_two_families_counts_in_both(build):
    dad = build.person(forename="Gary", dob=date(1983, 1, 1))
    first_child, second_child = build.person(forename="Amy", dob=date(2012, 1, 1)), build.person(forename="Ben", dob=date(2015, 1, 1))
    first = build.family((dad, "parent"), (first_child, "child"))
    second = build.family((dad, "parent"), (second_child, "child"))
    factories.indicator(dad, "person-committed-offence")
    factories.indicator(second_child, "child-protection-plan")

    indicators_refresh(as_of=AS_OF)

    assert FamilyCriteria.objects.get(family=first).badges == ["CRIME"]
    assert FamilyCriteria.objects.get(family=second).badges == ["SUPPORT", "CRIME"]
    assert FamilyCriteria.objects.get(family=second).is_eligible


def test_priority_orders_by_problems_then_risk_then_cost(build):
    def family_with(codes, name):
        parent = build.person(forename=f"{name}Parent", dob=date(1985, 1, 1))
        child = build.person(forename=f"{name}Child", dob=date(2012, 1, 1))
        for code in codes:
            factories.indicator(parent, code)
        return build.family((parent, "parent"), (child, "child"))

    three = family_with(["person-committed-offence", "out-of-work-benefits", "victim-of-dva"], "Three")
    two_costly = family_with(["person-committed-offence", "out-of-work-benefits"], "Costly")
    two_cheap = family_with(["person-committed-asb", "person-in-rent-arrears"], "Cheap")
    family_with(["person-committed-asb"], "One")

    indicators_refresh(as_of=AS_OF)

    assert [c.family_id for c in eligible_families_by_priority()] == [three.pk, two_costly.pk, two_cheap.pk]


def test_risk_score_and_notes_name_the_factors(build):
    girl = build.person(forename="Amy", dob=date(2010, 5, 1), sex="F")
    build.flag(girl, "cse-flag", date(2024, 10, 1))
    factories.indicator(girl, "person-reported-missing", on=date(2024, 11, 1))
    too_young = build.person(forename="Bea", dob=date(2016, 5, 1), sex="F")
    build.flag(too_young, "cse-flag", date(2024, 10, 1))
    factories.indicator(too_young, "person-reported-missing", on=date(2024, 11, 1))

    indicators_refresh(as_of=AS_OF)

    cse = PersonIndicator.objects.get(person=girl, definition__code="risk-child-sexual-exploitation")
    # 100 * logistic(-4.0 + 4.0 + 0.9) from fixtures/risk_models.json
    assert cse.value == Decimal("71.09") and cse.indicator_date == AS_OF
    assert cse.notes == ("This young person is vulnerable to Child Sexual Exploitation (CSE) as they meet 2 risk factors: "
                         "they have a CSE risk flag in Police reports; they have gone missing.")
    assert not PersonIndicator.objects.filter(person=too_young, definition__code="risk-child-sexual-exploitation").exists()


def test_an_event_factor_must_name_an_event_the_projection_writes(db, tmp_path):
    import json

    from apps.indicators.risk import RISK_MODELS_FILE, risk_models_load

    data = json.loads(RISK_MODELS_FILE.read_text(encoding="utf-8"))
    cse = next(m for m in data["risk_models"] if m["indicator"] == "risk-child-sexual-exploitation")
    cse["factors"][0]["codes"] = ["cse-flag", "birth-of-child"]  # a source event with no projected table of events
    edited = tmp_path / "risk_models.json"
    edited.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(ValueError, match="factor 'cse-flag' of risk-child-sexual-exploitation: no projected event "
                                         "birth-of-child"):
        risk_models_load(path=edited)
    assert RiskModel.objects.get(indicator__code="risk-child-sexual-exploitation").factors.get(code="cse-flag").codes == [
        "cse-flag"]


def test_neet_model_learns_factors_that_preceded_neet_at_17(build):
    """40 young people NEET or not at academic age 17; exclusions before Year 12 precede NEET."""
    for i in range(40):
        person = build.person(forename=f"Young{i}", dob=date(2007, 1, 1) if i % 2 else date(2007, 3, 1))
        neet = i < 12
        build.neet_status(person, date(2024, 12, 15), "NEET" if neet else "EET")
        if (neet and i < 10) or i in (20, 21):
            build.exclusion(person, date(2022, 11, 1))  # before Year 12 (1 Sep 2023)
        if i in (30, 31, 32, 33, 34, 35):
            build.exclusion(person, date(2024, 1, 10), kind="permanent")  # after Year 12 began: not "earlier"

    indicators_refresh(as_of=AS_OF)

    model = RiskModel.objects.get(indicator__code="risk-of-neet")
    learned = model.training["factors"]
    assert model.training["cohort"] == 40 and model.training["neet"] == 12
    assert learned["fixed-exclusion"]["weight"] > 0 and learned["fixed-exclusion"]["lift"] > 1
    assert learned["permanent-exclusion"]["support"] == 0 and learned["permanent-exclusion"]["weight"] == 0
    assert model.training["auc_held_out"] is not None and model.trained_at is not None


def test_auc_counts_ties_as_half():
    assert auc([(0.9, True), (0.1, False)]) == 1.0
    assert auc([(0.5, True), (0.5, False)]) == 0.5
    assert auc([(0.2, True), (0.8, False), (0.6, True), (0.4, False)]) == 0.25  # one of four pairs ordered right
    assert auc([(0.3, True)]) is None
