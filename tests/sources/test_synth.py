"""The synthetic population generator: deterministic, in the documented format, with the noise it promises."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import random
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.common.identifiers import nhs_number_normalise, ni_number_normalise, upn_normalise
from apps.sources.catalogue import CODE_LISTS, MONTH_FORMAT
from apps.sources.descriptors import default_specs
from apps.sources.synth import GROUND_TRUTH_DIR, NoiseRates, generate
from apps.sources.synth.identifiers import (
    is_valid_postcode,
    is_valid_uprn,
    make_nhs_number,
    make_ni_number,
    make_upn,
    nhs_number_slip,
    ni_number_slip,
    upn_slip,
)
from apps.sources.validation import ExtractValidator

SEED = 20240
DATASETS_BY_CODE = default_specs()  # the default dataset descriptors
DATASETS = tuple(DATASETS_BY_CODE.values())


def accepted(normalise):
    """True when the import's check accepts the value as it stands (already in its stored form)."""

    def check(value: str) -> bool:
        try:
            return normalise(value) == value
        except ValueError:
            return False

    return check


is_valid_nhs_number = accepted(nhs_number_normalise)
is_valid_upn = accepted(upn_normalise)
is_valid_ni_number = accepted(ni_number_normalise)


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def file_hashes(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*.csv"))
    }


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    """One small population, made through the management command as ``make demo`` makes it."""
    out = tmp_path_factory.mktemp("synth") / "extract"
    call_command("synth", scale="small", seed=SEED, out=str(out), stdout=io.StringIO())
    return out


@pytest.fixture(scope="module")
def manifest(extract) -> dict:
    return json.loads((extract / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def datasets(extract) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    return {spec.code: read_rows(extract / f"{spec.code}.csv") for spec in DATASETS}


@pytest.fixture(scope="module")
def truth(extract) -> dict[str, list[dict[str, str]]]:
    return {name: read_rows(extract / GROUND_TRUTH_DIR / f"{name}.csv")[1]
            for name in ("records", "people", "households", "neet_cohort")}


def test_same_seed_writes_byte_identical_files(extract, tmp_path):
    again = tmp_path / "again"
    generate(out=again, scale="small", seed=SEED)
    assert file_hashes(again) == file_hashes(extract)
    assert len(file_hashes(extract)) == 35 + 6 + 1  # the extracts, the ground truth and the gazetteer


def test_the_gazetteer_holds_every_true_address_and_passes_its_import_checks(extract):
    from apps.gazetteer.importing import gazetteer_read

    with (extract / "gazetteer.csv").open("rb") as handle:
        parsed = gazetteer_read(handle)
    assert not parsed.problems, parsed.problems.listed[:5]
    uprns = {r["uprn"] for r in parsed.rows}
    true = {str(int(r["uprn"])) for r in read_rows(extract / GROUND_TRUTH_DIR / "addresses.csv")[1]}
    assert true <= uprns and len(uprns) > len(true)  # and the properties nobody in the population lives in
    recorded = {str(int(r["uprn"])) for r in read_rows(extract / GROUND_TRUTH_DIR / "records.csv")[1] if r["uprn"]}
    assert recorded <= true


def test_another_seed_writes_another_population(extract, tmp_path):
    other = tmp_path / "other"
    generate(out=other, scale="small", seed=SEED + 1, people=300)
    assert (other / "ground_truth" / "people.csv").read_bytes() != (extract / "ground_truth" / "people.csv").read_bytes()


def test_every_file_has_exactly_the_catalogue_columns_and_its_required_values(datasets):
    assert set(datasets) == set(DATASETS_BY_CODE)
    for code, (header, rows) in datasets.items():
        spec = DATASETS_BY_CODE[code]
        assert tuple(header) == spec.columns, code
        assert rows, f"{code} is empty"
        for number, row in enumerate(rows, start=2):
            missing = [column for column in spec.required if not row[column]]
            assert not missing, f"{code} row {number}: required {missing} empty"


def test_values_follow_the_documented_formats(datasets):
    date_columns = {"date_of_birth", "event_date", "date_from", "date_to", "recorded_on", "start_date",
                    "custody_start", "expected_release"}
    for code, (header, rows) in datasets.items():
        spec = DATASETS_BY_CODE[code]
        for number, row in enumerate(rows, start=2):
            where = f"{code} row {number}"
            for column in date_columns.intersection(header):
                if row[column]:
                    datetime.strptime(row[column], spec.date_format)  # raises on the wrong format
            for column, allowed in CODE_LISTS.items():
                if column in row and row[column]:
                    assert row[column] in allowed, f"{where}: {column}={row[column]!r}"
            if "event_type" in row:
                assert row["event_type"] in spec.event_types, f"{where}: {row['event_type']}"
            if "month" in row:
                datetime.strptime(row["month"], MONTH_FORMAT)
                assert 0 <= int(row["sessions_attended"]) <= int(row["sessions_possible"]) <= 46, where


# Before the fix, seed 18 repeated a pupil's suspension (same day, school, type and reason) and seed 19
# drew no one into custody, leaving asc-custody-releases with no rows.
@pytest.mark.parametrize("seed", [18, 19])
def test_the_importer_accepts_every_file(seed, tmp_path):
    """Each extract passes the importer's own validation: no duplicate records, no empty files, no bad values."""
    generate(out=tmp_path, scale="small", seed=seed)
    refused = {}
    for spec in DATASETS:
        with (tmp_path / f"{spec.code}.csv").open("rb") as handle:
            result = ExtractValidator(spec).validate(handle, sink=lambda row: None)
        if result.problems:
            refused[spec.code] = [str(problem) for problem in result.problems.listed[:5]]
    assert refused == {}


def test_every_event_type_in_the_catalogue_occurs(datasets):
    for spec in DATASETS:
        if spec.event_types:
            seen = {row["event_type"] for row in datasets[spec.code][1]}
            assert seen == set(spec.event_types), spec.code


def test_identifiers_present_are_valid(datasets, truth):
    checks = {"nhs_number": is_valid_nhs_number, "upn": is_valid_upn, "ni_number": is_valid_ni_number,
              "uprn": is_valid_uprn, "postcode": is_valid_postcode}
    counted = Counter()
    for code, (_, rows) in datasets.items():
        for number, row in enumerate(rows, start=2):
            for column, valid in checks.items():
                if row.get(column):
                    counted[column] += 1
                    assert valid(row[column]), f"{code} row {number}: {column} {row[column]!r}"
    assert min(counted.values()) > 100, counted
    for person in truth["people"]:
        assert is_valid_nhs_number(person["nhs_number"])
        assert not person["upn"] or is_valid_upn(person["upn"])
        assert not person["ni_number"] or is_valid_ni_number(person["ni_number"])


def test_ground_truth_covers_every_source_row_and_nothing_else(datasets, truth):
    people = {p["person_id"] for p in truth["people"]}
    records = {(r["dataset"], r["source_key"]): r["person_id"] for r in truth["records"]}
    assert len(records) == len(truth["records"]), "a source key maps to more than one person"
    assert set(records.values()) <= people
    in_files = {(code, row["source_key"]) for code, (_, rows) in datasets.items() for row in rows}
    assert in_files == set(records)


def test_counts_match_the_manifest_and_the_scale(extract, manifest, datasets, truth):
    assert manifest["seed"] == SEED and manifest["scale"] == "small"
    for code, (_, rows) in datasets.items():
        assert manifest["datasets"][code]["rows"] == len(rows)
        assert manifest["datasets"][code]["sha256"] == hashlib.sha256((extract / f"{code}.csv").read_bytes()).hexdigest()
    assert manifest["people"] == len(truth["people"]) == 2_000
    assert abs(manifest["families"] - 635) / 635 < 0.1
    families = {h["household_id"] for h in truth["households"] if h["is_family"] == "1"}
    assert len(families) == manifest["families"]


def test_everyone_is_in_a_residence_dataset_and_every_pupil_in_the_census(datasets, truth):
    owner = {(r["dataset"], r["source_key"]): r["person_id"] for r in truth["records"]}

    def people_in(code):
        return {owner[(code, row["source_key"])] for row in datasets[code][1]}

    resident = people_in("bcc-council-tax") | people_in("bcc-housing-benefit") | people_in("bcc-housing-tenancies")
    assert resident == {p["person_id"] for p in truth["people"]}
    pupils = {p["person_id"] for p in truth["people"] if p["upn"]}
    assert pupils and pupils <= people_in("dfe-school-census") | people_in("dfe-pru-placements")


def test_noise_in_the_files_is_what_the_ground_truth_says(datasets, truth):
    noise = {(r["dataset"], r["source_key"]): set(r["noise"].split(";")) - {""} for r in truth["records"]}
    for code, (_, rows) in datasets.items():
        for row in rows:
            applied = noise[(code, row["source_key"])]
            assert ("dob_missing" in applied) == (row["date_of_birth"] == ""), (code, row["source_key"])
            if "nhs_number" in row:
                assert ("nhs_missing" in applied) == (row["nhs_number"] == "")


@pytest.fixture(scope="module")
def noisy_out(tmp_path_factory) -> tuple[NoiseRates, Path]:
    """A run with raised noise rates, so the rates can be measured against their parameters."""
    rates = NoiseRates(dob_missing=0.2, swapped_names=0.1, nhs_missing=0.3, ni_missing=0.4, nickname=0.5,
                       address_variant=0.3, duplicate_record=0.1, sex_miskeyed=0.05, nhs_typo=0.1, upn_typo=0.05,
                       ni_typo=0.1, dob_default=0.05, dob_placeholder=0.03, dob_year_typo=0.1, name_format=0.1)
    out = tmp_path_factory.mktemp("noisy")
    generate(out=out, scale="small", seed=SEED, people=1_500, rates=rates)
    return rates, out


@pytest.fixture(scope="module")
def noisy(noisy_out) -> tuple[NoiseRates, list[dict[str, str]], Counter]:
    """The noisy run's rates, ground-truth records and rows per agency record."""
    rates, out = noisy_out
    rows_per_key = Counter()
    for spec in DATASETS:
        for row in read_rows(out / f"{spec.code}.csv")[1]:
            rows_per_key[(spec.code, row["source_key"])] += 1
    return rates, read_rows(out / GROUND_TRUTH_DIR / "records.csv")[1], rows_per_key


def _within(observed: int, trials: int, rate: float) -> bool:
    """Within four standard deviations of the binomial expectation."""
    return abs(observed - trials * rate) <= 4 * math.sqrt(trials * rate * (1 - rate)) + 1


@pytest.mark.parametrize("kind, rate_name, column", [
    ("dob_missing", "dob_missing", "date_of_birth"),
    ("swapped_names", "swapped_names", None),
    ("nhs_missing", "nhs_missing", "nhs_number"),
    ("ni_missing", "ni_missing", "ni_number"),
])
def test_noise_rates_match_their_parameters(noisy, kind, rate_name, column):
    rates, records, _ = noisy
    eligible = [r for r in records
                if column is None or (column in DATASETS_BY_CODE[r["dataset"]].columns
                                      and column not in DATASETS_BY_CODE[r["dataset"]].required)]
    if column in ("nhs_number", "ni_number"):  # only people who have one can lose it
        eligible = [r for r in eligible if r["dataset"] != "dfe-school-census"]
    observed = sum(kind in r["noise"].split(";") for r in eligible)
    if column == "ni_number":  # children have no NI number to lose: compare with the share that could
        assert observed < len(eligible) * getattr(rates, rate_name)
        assert observed > 0
        return
    assert _within(observed, len(eligible), getattr(rates, rate_name)), (observed, len(eligible))


@pytest.fixture(scope="module")
def noisy_people(noisy_out) -> dict[str, dict[str, str]]:
    """The true people of the noisy run."""
    return {p["person_id"]: p for p in read_rows(noisy_out[1] / GROUND_TRUTH_DIR / "people.csv")[1]}


def _kinds(record: dict[str, str]) -> set[str]:
    return set(record["noise"].split(";")) - {""}


def _has(column: str):
    return lambda r, person: column in DATASETS_BY_CODE[r["dataset"]].columns


_DOB_KINDS_BEFORE = {  # a date of birth reaches each draw only when none of the earlier kinds was applied
    "dob_placeholder": set(),
    "dob_default": {"dob_placeholder"},
    "dob_year_typo": {"dob_placeholder", "dob_default", "dob_transposed", "dob_typo"},
}


@pytest.mark.parametrize("kind, eligible", [
    ("sex_miskeyed", lambda r, person: "sex" in DATASETS_BY_CODE[r["dataset"]].columns
     and "sex_missing" not in _kinds(r)),
    ("nhs_typo", lambda r, person: _has("nhs_number")(r, person) and "nhs_missing" not in _kinds(r)),
    ("upn_typo", lambda r, person: _has("upn")(r, person) and person["upn"] and "upn_missing" not in _kinds(r)),
    ("ni_typo", lambda r, person: _has("ni_number")(r, person) and person["ni_number"]
     and "ni_missing" not in _kinds(r)),
    ("dob_placeholder", lambda r, person: "dob_missing" not in _kinds(r)),
    ("dob_default", lambda r, person: "dob_missing" not in _kinds(r) and not _kinds(r) & _DOB_KINDS_BEFORE["dob_default"]
     and not person["date_of_birth"].endswith("-01-01")),
    ("dob_year_typo", lambda r, person: "dob_missing" not in _kinds(r)
     and not _kinds(r) & _DOB_KINDS_BEFORE["dob_year_typo"]),
    ("forename_middle", lambda r, person: bool(person["known_as"])),
    ("surname_part", lambda r, person: "-" in person["surname"] and "old_surname" not in _kinds(r)),
    ("name_format", lambda r, person: True),
])
def test_new_noise_kinds_occur_at_their_rates(noisy, noisy_people, kind, eligible):
    """Each kind, among the records it can apply to, at its parameter (within four standard deviations)."""
    rates, records, _ = noisy
    among = [r for r in records if eligible(r, noisy_people[r["person_id"]])]
    observed = sum(kind in _kinds(r) for r in among)
    assert len(among) > 30, (kind, len(among))
    assert observed > 0, kind
    assert _within(observed, len(among), getattr(rates, kind)), (kind, observed, len(among))


def test_errors_in_different_fields_are_independent(noisy):
    """A name error and a date-of-birth error on one record occur about as often as chance says."""
    _, records, _ = noisy
    name = {"forename_typo", "surname_typo", "nickname", "swapped_names", "name_format", "forename_middle"}
    dob = {"dob_missing", "dob_transposed", "dob_typo", "dob_year_typo", "dob_default", "dob_placeholder"}
    identifier = {"nhs_typo", "upn_typo", "ni_typo", "sex_miskeyed"}
    n = len(records)
    for first, second in ((name, dob), (name, identifier), (dob, identifier)):
        a = sum(bool(_kinds(r) & first) for r in records)
        b = sum(bool(_kinds(r) & second) for r in records)
        both = sum(bool(_kinds(r) & first) and bool(_kinds(r) & second) for r in records)
        assert both > 0
        assert _within(both, n, a * b / n / n), (both, n, a, b)


def test_new_noise_in_the_files_is_what_the_ground_truth_says(tmp_path):
    """What each kind names is what the file shows, against the true person."""
    rates = NoiseRates(sex_miskeyed=0.1, nhs_typo=0.2, upn_typo=0.2, ni_typo=0.2, dob_default=0.1,
                       dob_placeholder=0.05, forename_middle=1.0, surname_part=1.0)
    generate(out=tmp_path, scale="small", seed=SEED, people=1_000, rates=rates)
    people = {p["person_id"]: p for p in read_rows(tmp_path / GROUND_TRUTH_DIR / "people.csv")[1]}
    records = {(r["dataset"], r["source_key"]): r for r in read_rows(tmp_path / GROUND_TRUTH_DIR / "records.csv")[1]}
    seen = Counter()
    for spec in DATASETS:
        for row in read_rows(tmp_path / f"{spec.code}.csv")[1]:
            record = records[(spec.code, row["source_key"])]
            person, kinds = people[record["person_id"]], _kinds(record)
            where = (spec.code, row["source_key"], kinds)
            seen.update(kinds)
            if "sex" in row and "sex_missing" not in kinds:
                assert (row["sex"] != person["sex"]) == ("sex_miskeyed" in kinds), where
            for column, kind, valid in (("nhs_number", "nhs_typo", is_valid_nhs_number),
                                        ("upn", "upn_typo", is_valid_upn), ("ni_number", "ni_typo", is_valid_ni_number)):
                if row.get(column):
                    assert (row[column] != person[column]) == (kind in kinds), where
                    assert valid(row[column]), where
            if row.get("date_of_birth"):
                born = datetime.strptime(row["date_of_birth"], spec.date_format).date()
                if "dob_placeholder" in kinds:
                    assert born.isoformat() == "1900-01-01", where
                if "dob_default" in kinds:
                    assert (born.month, born.day, str(born.year)) == (1, 1, person["date_of_birth"][:4]), where
            if "forename_middle" in kinds and not kinds & {"nickname", "forename_typo", "swapped_names", "name_format"}:
                assert row["forename"] == person["known_as"], where
            if "surname_part" in kinds and not kinds & {"surname_typo", "swapped_names", "name_format"}:
                assert row["surname"] in person["surname"].split("-"), where
    for kind in ("sex_miskeyed", "nhs_typo", "upn_typo", "ni_typo", "dob_default", "dob_placeholder",
                 "forename_middle", "surname_part"):
        assert seen[kind] > 0, kind


def test_twins_and_children_named_after_a_parent_are_generated(truth):
    """The family guard's hard cases exist in the data: twins (one birthday, one surname, two forenames) and a
    child carrying a parent's forename and surname a generation later."""
    people = {p["person_id"]: p for p in truth["people"]}
    members = defaultdict(list)
    for m in truth["households"]:
        members[m["household_id"]].append((m["role"], people[m["person_id"]]))
    twins = juniors = 0
    for household in members.values():
        children = [p for role, p in household if role == "child"]
        parents = [p for role, p in household if role == "parent"]
        for i, a in enumerate(children):
            for b in children[i + 1:]:
                if a["date_of_birth"] == b["date_of_birth"]:
                    assert a["forename"] != b["forename"] and a["surname"] == b["surname"]
                    twins += 1
        for child in children:
            for parent in parents:
                if (child["forename"], child["surname"], child["sex"]) == (parent["forename"], parent["surname"],
                                                                          parent["sex"]):
                    assert int(child["date_of_birth"][:4]) - int(parent["date_of_birth"][:4]) >= 14
                    juniors += 1
    assert 3 <= twins <= 40, twins  # about 1.5% of births in about 1,100 children
    assert 2 <= juniors <= 30, juniors


def test_identifier_slips_are_valid_other_numbers():
    """A slip that survives the agency's check: a valid number, not the true one (NHS numbers stay in the 999 range)."""
    rng = random.Random(SEED)
    nhs_used, ni_used = set(), set()
    for _ in range(300):
        nhs_number = make_nhs_number(rng, nhs_used)
        slipped = nhs_number_slip(rng, nhs_number)
        assert slipped != nhs_number and slipped.startswith("999") and is_valid_nhs_number(slipped)
        upn = make_upn("801", str(rng.randrange(2001, 2100)), rng.randrange(2010, 2024), rng.randrange(1, 999))
        slipped = upn_slip(rng, upn)
        assert slipped != upn and slipped[1:4] == "801" and is_valid_upn(slipped)
        ni = make_ni_number(rng, ni_used)
        slipped = ni_number_slip(rng, ni)
        assert slipped != ni and slipped[:2] == ni[:2] and is_valid_ni_number(slipped)
        assert sum(x != y for x, y in zip(slipped, ni, strict=True)) <= 2


def test_duplicate_agency_records_follow_their_rate(noisy):
    """An agency holding someone twice shows it from their second row on: compare among people with two or more."""
    rates, records, rows_per_key = noisy
    rows = Counter()
    keys = Counter()
    for r in records:
        if DATASETS_BY_CODE[r["dataset"]].fact_kind not in ("residence", "enrolment"):
            rows[(r["dataset"], r["person_id"])] += rows_per_key[(r["dataset"], r["source_key"])]
            keys[(r["dataset"], r["person_id"])] += 1
    repeated = [k for k, n in rows.items() if n >= 2]
    duplicated = sum(1 for k in repeated if keys[k] == 2)
    assert all(n <= 2 for n in keys.values())
    assert _within(duplicated, len(repeated), rates.duplicate_record), (duplicated, len(repeated))


def test_troubled_households_show_several_problems_at_once(truth):
    """The latent trouble score drives problems across agencies: the top decile has far more than the rest."""
    household_of = {p["person_id"]: p["household_id"] for p in truth["people"]}
    problem_datasets = {spec.code for spec in DATASETS if spec.fact_kind == "event"} - {
        "bcc-neet-tracking", "dfe-free-school-meals", "ehm-episodes", "ehm-referrals"}
    problems = defaultdict(set)
    for record in truth["records"]:
        if record["dataset"] in problem_datasets:
            problems[household_of[record["person_id"]]].add(record["dataset"])
    families = sorted({(float(h["trouble"]), h["household_id"]) for h in truth["households"] if h["is_family"] == "1"})
    decile = max(1, len(families) // 10)
    top = [len(problems[h]) for _, h in families[-decile:]]
    rest = [len(problems[h]) for _, h in families[:-decile]]
    assert sum(top) / len(top) > 3 * sum(rest) / len(rest)
    assert sum(n >= 3 for n in top) > len(top) / 3


def test_historical_neet_cohort_has_outcomes_at_seventeen(truth):
    cohort = [row for row in truth["neet_cohort"] if int(row["academic_age"]) >= 18]
    outcomes = Counter(row["activity_17"] for row in cohort)
    assert outcomes["EET"] > 0 and outcomes["NEET"] > 0


def test_nhs_numbers_are_valid_unused_and_in_the_test_range():
    rng, used = random.Random(SEED), set()
    numbers = [make_nhs_number(rng, used) for _ in range(500)]
    assert len(set(numbers)) == 500 and used == set(numbers)
    assert all(n.startswith("999") and is_valid_nhs_number(n) for n in numbers)


def test_upn_check_letter():
    upn = make_upn("801", "2001", 2019, 7)
    assert len(upn) == 13 and upn[1:] == "801200119007"
    assert is_valid_upn(upn)
    assert not is_valid_upn(("A" if upn[0] != "A" else "B") + upn[1:])
    assert not is_valid_upn(upn[:5] + str((int(upn[5]) + 1) % 10) + upn[6:])


def test_postcode_format():
    assert is_valid_postcode("BS5 6XY") and is_valid_postcode("bs56xy")
    assert not is_valid_postcode("BS5 6CI")
