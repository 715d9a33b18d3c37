"""Programme frameworks as data: both shipped frameworks end to end through a real refresh, the expectant-parent
rule, the 2015 mapping's equivalence with the badges, the checked loader and what ``migrate`` keeps."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.casework.framework_services import framework_activate
from apps.indicators.frameworks import FRAMEWORK_DIR, MEASURES, FrameworkFileError, frameworks_load
from apps.indicators.models import (
    FamilyCriteria,
    Framework,
    FrameworkNeed,
    IndicatorCategory,
    IndicatorDefinition,
)
from apps.indicators.selectors import eligible_families_by_priority
from apps.indicators.services import indicators_refresh
from tests import factories

AS_OF = date(2025, 3, 1)
pytestmark = pytest.mark.django_db


def _activate(code: str, user) -> None:
    framework_activate(framework=Framework.objects.get(code=code), by=user)


def _criteria(family) -> FamilyCriteria:
    return FamilyCriteria.objects.select_related("framework").get(family=family)


@pytest.fixture
def analyst(make_user):
    return make_user("programme-manager")


def _family(build, *, codes, child=True):
    mum = build.person(forename="Kerry", dob=date(1985, 1, 1), sex="F")
    members = [(mum, "parent")]
    kid = None
    if child:
        kid = build.person(forename="Jack", dob=date(2011, 3, 12))
        members.append((kid, "child"))
    family = build.family(*members)
    for code in codes:
        factories.indicator(kid if code == "child-in-need" and kid else mum, code)
    return family


def test_the_2015_framework_is_active_on_a_new_database_and_both_are_loaded():
    assert list(Framework.objects.values_list("code", "is_active")) == [("2015-expanded", True),
                                                                         ("2022-national", False)]
    national = Framework.objects.get(code="2022-national")
    assert national.headlines.count() == 10 and national.count_of == "needs" and national.eligible_min == 3
    assert national.allows_expectant_parent
    expanded = Framework.objects.get(code="2015-expanded")
    assert expanded.headlines.count() == 6 and expanded.count_of == "headlines" and expanded.eligible_min == 2


def test_each_2015_headline_lists_exactly_the_indicators_of_its_problems_badges():
    """So a 2015 headline is met exactly when one of its headline problem's badges is: eligibility as before."""
    expanded = Framework.objects.get(code="2015-expanded")
    for headline in expanded.headlines.all():
        from_needs = set(IndicatorDefinition.objects.filter(framework_needs__headline=headline).values_list("code", flat=True))
        from_badges = set(IndicatorDefinition.objects.filter(
            category__badge__headline_problem__code=headline.code).values_list("code", flat=True))
        assert from_needs == from_badges, headline.code
    assert set(expanded.headlines.values_list("code", flat=True)) == set(
        IndicatorCategory.objects.filter(badge__isnull=False).values_list("badge__headline_problem__code", flat=True))


def test_needs_in_two_headlines_are_eligible_under_2015_and_two_needs_are_not_under_2022(build, analyst):
    family = _family(build, codes=["person-committed-offence", "child-in-need"])

    indicators_refresh(as_of=AS_OF)
    criteria = _criteria(family)
    assert criteria.framework.code == "2015-expanded"
    assert criteria.problems == ["crime-asb", "children-need-help"] and criteria.is_eligible
    assert criteria.reasons_text.startswith("Eligible: meets 2 of the 6 headline problems")

    _activate("2022-national", analyst)
    indicators_refresh(as_of=AS_OF)
    criteria = _criteria(family)
    assert criteria.framework.code == "2022-national"
    assert criteria.needs == ["help-or-protection", "offending"] and criteria.need_count == 2
    assert criteria.problems == ["children-safe", "crime"] and not criteria.is_eligible
    assert criteria.reasons_text.startswith(
        "Not eligible: has 2 needs (A child needs help or protection; An adult or child has offended) in 2 of the 10 "
        "headline outcomes; at least 3 are needed.")
    assert family not in [c.family for c in eligible_families_by_priority()]


def test_three_needs_and_a_dependent_child_are_eligible_under_2022_and_without_a_child_are_not(build, analyst):
    _activate("2022-national", analyst)
    with_child = _family(build, codes=["person-committed-offence", "child-in-need", "mental-health-concern"])
    adults_only = _family(build, codes=["person-committed-offence", "out-of-work-benefits", "mental-health-concern"],
                          child=False)

    indicators_refresh(as_of=AS_OF)

    eligible = _criteria(with_child)
    assert eligible.need_count == 3 and eligible.is_eligible and eligible.dependent_children == 1
    assert eligible.reasons_text.startswith("Eligible: has 3 needs")
    alone = _criteria(adults_only)
    assert alone.need_count == 3 and not alone.is_eligible
    assert alone.reasons_text.startswith("Not eligible: no dependent child or expectant parent on 1 March 2025")
    assert [c.family for c in eligible_families_by_priority()] == [with_child]


def test_two_needs_under_one_headline_count_as_two_under_2022_and_one_headline_under_2015(build, analyst):
    family = _family(build, codes=["person-committed-offence", "person-committed-asb", "out-of-work-benefits"])

    indicators_refresh(as_of=AS_OF)
    assert _criteria(family).problems == ["crime-asb", "worklessness"] and _criteria(family).is_eligible

    _activate("2022-national", analyst)
    indicators_refresh(as_of=AS_OF)
    criteria = _criteria(family)
    assert criteria.needs == ["offending", "anti-social-behaviour", "worklessness"] and criteria.is_eligible
    assert criteria.problem_count == 2


def test_an_expectant_parent_counts_once_the_catalogue_has_the_indicator(build, analyst):
    _activate("2022-national", analyst)
    family = _family(build, codes=["person-committed-offence", "out-of-work-benefits", "mental-health-concern"],
                     child=False)
    indicators_refresh(as_of=AS_OF)
    assert not _criteria(family).is_eligible  # no data says anyone is expecting: the rule has nothing to count

    IndicatorDefinition.objects.create(code="expectant-parent", name="Expectant Parent",
                                       category=IndicatorCategory.objects.get(code="health"), source="BCC")
    factories.indicator(family.memberships.get().person, "expectant-parent")
    indicators_refresh(as_of=AS_OF)
    criteria = _criteria(family)
    assert criteria.expectant_parents == 1 and criteria.dependent_children == 0 and criteria.is_eligible

    _activate("2015-expanded", analyst)  # 2015 does not allow an expectant parent in place of a child
    indicators_refresh(as_of=AS_OF)
    assert not _criteria(family).is_eligible


def test_priority_follows_what_the_active_framework_counts(build, analyst):
    # three needs in three headlines, against four needs in two headlines
    wide = _family(build, codes=["person-committed-offence", "child-in-need", "mental-health-concern"])
    deep = _family(build, codes=["person-committed-offence", "person-committed-asb", "out-of-work-benefits",
                                 "adult-benefit-cap"])
    indicators_refresh(as_of=AS_OF)
    assert [c.family for c in eligible_families_by_priority()] == [wide, deep]  # 2015: 3 headlines before 2

    _activate("2022-national", analyst)
    indicators_refresh(as_of=AS_OF)
    assert [c.family for c in eligible_families_by_priority()] == [deep, wide]  # 2022: 4 needs before 3


def test_activation_is_recorded_and_refused_for_the_active_framework(analyst):
    from apps.casework.framework_services import FrameworkAlreadyActive

    _activate("2022-national", analyst)
    assert list(Framework.objects.filter(is_active=True).values_list("code", flat=True)) == ["2022-national"]
    event = AuditEvent.objects.filter(action=AuditEvent.Action.FRAMEWORK_CHANGE).get()
    assert event.username == analyst.username and event.subject_id == "2022-national"
    assert event.details == {"active": "2022-national", "previous": ["2015-expanded"]}
    with pytest.raises(FrameworkAlreadyActive):
        _activate("2022-national", analyst)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FRAMEWORK_CHANGE).count() == 1


# --- the loader ---------------------------------------------------------------------------------------------


def test_migrate_keeps_a_changed_framework_and_the_chosen_active_one(analyst):
    national = Framework.objects.get(code="2022-national")
    national.eligible_min, national.name = 4, "National framework (local variant)"
    national.save()
    need = FrameworkNeed.objects.get(headline__framework=national, code="school-attendance")
    need.outcome_params = {"threshold_percent": 92, "terms": 3}
    need.save()
    FrameworkNeed.objects.filter(headline__framework=national, code="parental-conflict").delete()
    _activate("2022-national", analyst)

    call_command("migrate", verbosity=0)

    national.refresh_from_db()
    assert national.eligible_min == 4 and national.name == "National framework (local variant)" and national.is_active
    assert FrameworkNeed.objects.get(pk=need.pk).outcome_params == {"threshold_percent": 92, "terms": 3}
    assert not FrameworkNeed.objects.filter(headline__framework=national, code="parental-conflict").exists()
    assert not Framework.objects.get(code="2015-expanded").is_active


def test_migrate_creates_a_framework_that_is_missing():
    Framework.objects.filter(code="2022-national").delete()
    call_command("migrate", verbosity=0)
    national = Framework.objects.get(code="2022-national")
    assert national.headlines.count() == 10 and not national.is_active
    assert FrameworkNeed.objects.get(headline__framework=national, code="worklessness").indicators.get().code == \
        "out-of-work-benefits"


def _write(tmp_path: Path, data: dict) -> Path:
    (tmp_path / f"{data['code']}.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def _shipped(code: str) -> dict:
    return json.loads((FRAMEWORK_DIR / f"{code}.json").read_text(encoding="utf-8"))


def test_a_bad_framework_file_is_refused_with_every_problem_and_nothing_is_written(tmp_path):
    data = _shipped("2022-national") | {"code": "local-2026", "eligible_min": 0}
    needs = data["headlines"][0]["needs"]
    needs[0]["indicators"] = ["child-persistently-absent", "no-such-indicator"]
    needs[0]["outcome"]["params"] = {"threshold_percent": 90}
    needs[1]["outcome"] = {"measure": "no-exclusions", "params": {}, "text": "No exclusion"}
    needs[2]["code"] = needs[0]["code"]
    data["headlines"][6]["needs"][0]["outcome"]["params"] = {"months": "6", "includes_asb": True, "days": 3}

    with pytest.raises(FrameworkFileError) as refused:
        frameworks_load(directory=_write(tmp_path, data))

    assert refused.value.problems == [
        "eligible_min must be at least 1",
        "need 'school-attendance': no indicator 'no-such-indicator' in the catalogue",
        "need 'school-attendance': attendance takes either 'terms' or 'period', one of them",
        "need 'school-exclusion': unknown outcome measure 'no-exclusions' (one of " + ", ".join(MEASURES) + ")",
        "need 'school-attendance': code used twice in the framework",
        "need 'offending': measure 'no-offence' takes no parameter 'days' (it takes: months, includes_asb)",
        "need 'offending': 'months' of 'no-offence' has the wrong type ('6')",
    ]
    assert "local-2026.json" in str(refused.value)
    assert not Framework.objects.filter(code="local-2026").exists()


def test_a_file_that_is_not_json_is_refused(tmp_path):
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FrameworkFileError, match="broken.json: 1 problem"):
        frameworks_load(directory=tmp_path)


def test_a_new_framework_file_is_loaded_inactive(tmp_path):
    data = _shipped("2022-national") | {"code": "local-2026", "name": "Local outcome plan 2026", "eligible_min": 4,
                                        "active_by_default": True}
    assert frameworks_load(directory=_write(tmp_path, data)) == {"frameworks": 3, "frameworks_created": 1}
    local = Framework.objects.get(code="local-2026")
    assert local.eligible_min == 4 and not local.is_active  # a framework is active already
    need = FrameworkNeed.objects.get(headline__framework=local, code="school-attendance")
    assert need.outcome_measure == "attendance" and need.outcome_params == {"threshold_percent": 90, "terms": 3}


def test_the_shipped_files_express_both_attendance_rules():
    expanded = FrameworkNeed.objects.get(headline__framework__code="2015-expanded", code="school-attendance")
    national = FrameworkNeed.objects.get(headline__framework__code="2022-national", code="school-attendance")
    assert expanded.outcome_params == {"threshold_percent": 85, "period": "academic_year"}
    assert national.outcome_params == {"threshold_percent": 90, "terms": 3}
    measures = set(FrameworkNeed.objects.values_list("outcome_measure", flat=True))
    assert measures == set(MEASURES)
