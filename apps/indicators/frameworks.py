"""Programme frameworks as data: ``fixtures/frameworks/*.json``, one file per framework, checked and loaded.

A framework file (profile ``thinkfamily-framework-1``) names the framework, what eligibility counts
(``count_of``: ``headlines`` or ``needs``) and how many (``eligible_min``), whether an expectant
parent counts as a dependent child (``allows_expectant_parent``, with the indicator codes that say so),
and its headlines, each with its needs; a need names the catalogue's indicators that evidence it and
its outcome measure (``MEASURES``: the slug/param contract the casework outcome check implements).

``frameworks_load`` runs after every ``migrate`` (after the indicator catalogue): a framework the
database does not have is created from its file; one it has is never overwritten (the programme
manager's choice of the active framework, and any edit, survive). On a new database the file marked
``active_by_default`` becomes the active framework when none is. A file that breaks the rules is
refused with every problem listed (``FrameworkFileError``), and nothing of it is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

FRAMEWORK_DIR = Path(settings.BASE_DIR) / "fixtures" / "frameworks"
PROFILE = "thinkfamily-framework-1"


@dataclass(frozen=True)
class Param:
    kind: type | tuple[type, ...]
    required: bool = False
    choices: tuple = ()


# slug -> the parameters it takes. The casework outcome check (apps/casework/measures.py) implements exactly these.
MEASURES: dict[str, dict[str, Param]] = {
    "attendance": {"threshold_percent": Param((int, float), required=True), "terms": Param(int),
                   "period": Param(str, choices=("academic_year",))},
    "no-offence": {"months": Param(int, required=True), "includes_asb": Param(bool)},
    "no-da-incident": {"months": Param(int, required=True)},
    "off-out-of-work-benefits": {},
    "no-missing": {"months": Param(int, required=True)},
    "no-exclusion": {},
    "practitioner": {},
}


class FrameworkFileError(ValueError):
    """A framework file that breaks the rules: ``problems`` lists each one (where, and what is wrong)."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        super().__init__(f"{path.name}: {len(problems)} problem(s): " + "; ".join(problems))


def _check_params(where: str, measure: str, params) -> list[str]:
    if not isinstance(params, dict):
        return [f"{where}: outcome params must be an object"]
    spec = MEASURES[measure]
    problems = [f"{where}: measure {measure!r} takes no parameter {name!r} (it takes: {', '.join(spec) or 'none'})"
                for name in params if name not in spec]
    for name, param in spec.items():
        if name not in params:
            if param.required:
                problems.append(f"{where}: measure {measure!r} needs {name!r}")
            continue
        value = params[name]
        if isinstance(value, bool) and param.kind is not bool or not isinstance(value, param.kind):
            problems.append(f"{where}: {name!r} of {measure!r} has the wrong type ({value!r})")
        elif param.choices and value not in param.choices:
            problems.append(f"{where}: {name!r} must be one of {', '.join(param.choices)}, not {value!r}")
        elif isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
            problems.append(f"{where}: {name!r} must be more than 0")
    if measure == "attendance":
        if ("terms" in params) == ("period" in params):
            problems.append(f"{where}: attendance takes either 'terms' or 'period', one of them")
        if isinstance(params.get("threshold_percent"), int | float) and params["threshold_percent"] > 100:
            problems.append(f"{where}: threshold_percent is a percentage (at most 100)")
    return problems


def framework_check(data, indicator_codes: set[str]) -> list[str]:
    """Every problem of one framework's data (an empty list when it keeps the rules)."""
    if not isinstance(data, dict):
        return ["the file must hold one JSON object"]
    problems = []
    if data.get("profile") != PROFILE:
        problems.append(f"profile must be {PROFILE!r}")
    for key, kind in (("code", str), ("name", str), ("count_of", str), ("eligible_min", int), ("headlines", list)):
        if not isinstance(data.get(key), kind) or data.get(key) in ("", []):
            problems.append(f"{key!r} is required ({kind.__name__})")
    if data.get("count_of") not in (None, "headlines", "needs"):
        problems.append("count_of must be 'headlines' or 'needs'")
    if isinstance(data.get("eligible_min"), int) and data["eligible_min"] < 1:
        problems.append("eligible_min must be at least 1")
    expectant = data.get("expectant_parent_indicators", [])
    if not isinstance(expectant, list) or not all(isinstance(c, str) for c in expectant):
        problems.append("expectant_parent_indicators must be a list of indicator codes")
    headline_codes, need_codes = set(), set()
    for h, headline in enumerate(data.get("headlines") or []):
        where = f"headline {h + 1}"
        if not isinstance(headline, dict) or not headline.get("code") or not headline.get("name"):
            problems.append(f"{where}: needs a code and a name")
            continue
        where = f"headline {headline['code']!r}"
        if headline["code"] in headline_codes:
            problems.append(f"{where}: code used twice")
        headline_codes.add(headline["code"])
        if not isinstance(headline.get("needs"), list) or not headline["needs"]:
            problems.append(f"{where}: needs at least one need")
            continue
        for n, need in enumerate(headline["needs"]):
            if not isinstance(need, dict) or not need.get("code") or not need.get("name"):
                problems.append(f"{where}, need {n + 1}: needs a code and a name")
                continue
            at = f"need {need['code']!r}"
            if need["code"] in need_codes:
                problems.append(f"{at}: code used twice in the framework")
            need_codes.add(need["code"])
            codes = need.get("indicators", [])
            if not isinstance(codes, list):
                problems.append(f"{at}: indicators must be a list of codes")
                codes = []
            problems += [f"{at}: no indicator {c!r} in the catalogue" for c in codes if c not in indicator_codes]
            outcome = need.get("outcome")
            if not isinstance(outcome, dict) or not outcome.get("text"):
                problems.append(f"{at}: needs an outcome with a measure and a text")
            elif outcome.get("measure") not in MEASURES:
                problems.append(f"{at}: unknown outcome measure {outcome.get('measure')!r} "
                                f"(one of {', '.join(MEASURES)})")
            else:
                problems += _check_params(at, outcome["measure"], outcome.get("params", {}))
    return problems


def framework_file_read(path: Path, indicator_codes: set[str]) -> dict:
    """The framework of one file, checked; raises ``FrameworkFileError`` listing every problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrameworkFileError(path, [f"not a readable JSON file ({exc})"]) from exc
    problems = framework_check(data, indicator_codes)
    if problems:
        raise FrameworkFileError(path, problems)
    return data


def framework_create(data: dict, definitions: dict) -> object:
    """Create one framework, its headlines and needs from checked ``data``; ``definitions``: code -> indicator."""
    from .models import Framework, FrameworkHeadline, FrameworkNeed

    framework = Framework.objects.create(
        code=data["code"], name=data["name"], description=data.get("description", ""), source=data.get("source", ""),
        count_of=data["count_of"], eligible_min=data["eligible_min"],
        allows_expectant_parent=bool(data.get("allows_expectant_parent")),
        expectant_parent_indicators=data.get("expectant_parent_indicators", []), order=data.get("order", 0),
    )
    for h, headline in enumerate(data["headlines"], start=1):
        row = FrameworkHeadline.objects.create(framework=framework, code=headline["code"], name=headline["name"], order=h)
        for n, need in enumerate(headline["needs"], start=1):
            outcome = need["outcome"]
            created = FrameworkNeed.objects.create(
                headline=row, code=need["code"], name=need["name"], description=need.get("description", ""),
                outcome_measure=outcome["measure"], outcome_params=outcome.get("params", {}),
                outcome_text=outcome["text"], order=n)
            created.indicators.set([definitions[c] for c in need.get("indicators", [])])
    return framework


@transaction.atomic
def frameworks_load(*, directory: Path = FRAMEWORK_DIR) -> dict[str, int]:
    """Create each framework of ``directory`` the database does not have; never change one it has.

    Every file is checked first: one bad file refuses the load (``FrameworkFileError``) and nothing is written.
    """
    from .models import Framework, IndicatorDefinition

    definitions = {d.code: d for d in IndicatorDefinition.objects.all()}
    files = [framework_file_read(path, set(definitions)) for path in sorted(directory.glob("*.json"))]
    codes = [f["code"] for f in files]
    if len(set(codes)) != len(codes):
        raise FrameworkFileError(directory, [f"framework code {c!r} is in more than one file"
                                             for c in sorted({c for c in codes if codes.count(c) > 1})])
    existing = set(Framework.objects.values_list("code", flat=True))
    created = [framework_create(data, definitions) for data in files if data["code"] not in existing]
    if not Framework.objects.filter(is_active=True).exists():
        default = next((f["code"] for f in files if f.get("active_by_default")), None)
        if default:
            Framework.objects.filter(code=default).update(is_active=True)
    return {"frameworks": Framework.objects.count(), "frameworks_created": len(created)}


def measure_describe(measure: str, params: dict) -> str:
    """The measure and its parameters in words, as the frameworks page shows them."""
    months = params.get("months")
    if measure == "attendance":
        over = ("over the last full academic year" if params.get("period") == "academic_year"
                else f"across the last {params.get('terms')} full terms")
        return f"Attendance of at least {params.get('threshold_percent')}% {over}"
    if measure == "no-offence":
        also = " or anti-social behaviour" if params.get("includes_asb", True) else ""
        return f"No police-recorded offence{also} for {months} months"
    if measure == "no-da-incident":
        return f"No domestic abuse incident for {months} months"
    if measure == "no-missing":
        return f"No missing episode for {months} months"
    if measure == "off-out-of-work-benefits":
        return "Off out-of-work benefits (continuous employment)"
    if measure == "no-exclusion":
        return "No exclusion"
    return "Evidenced by the practitioner, with a note and a date"
