"""The independent corruption model: clean true people -> agency extracts with other errors.

    .venv/bin/python benchmarks/independent/corrupt.py --truth DIR --out OUT [--seed N]

DIR is the output of ``manage.py synth`` (only its ``ground_truth/people.csv``,
``addresses.csv`` and ``households.csv`` are read: the true identities, before any
noise). OUT gets six extracts in the import format, ``truth.csv`` (dataset,
source_key -> true person id, and the corruption applied) and ``manifest.json``
(rates and counts). The same truth and seed give byte-identical files.

The error types and rates are this module's own (``RATES``, ``PROFILES``); see
benchmarks/independent/README.md for why they differ from the generator's.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.independent import errors
from benchmarks.independent.importformat import COLUMNS, date_text, write_extract, write_truth

AS_OF = date(2025, 7, 31)
WINDOW_DAYS = 3 * 365  # agencies met people in the three years before the extract

# Probability per agency record (each field independently). Chosen for this model; see README.
RATES = {
    # names, each of forename and surname independently
    "keyboard_typo": 0.03,
    "phonetic_respelling": 0.025,
    "name_variant": 0.35,  # of names with a variant spelling (transliteration, Welsh, anglicised, English)
    "truncated": 0.01,
    "hyphen_variant": 0.4,  # of hyphenated surnames
    "apostrophe_variant": 0.35,  # of names with an apostrophe
    "random_case": 0.03,
    # forename only
    "initial_only": 0.03,
    "middle_as_forename": 0.03,  # of people with a middle name
    "title_in_forename": 0.02,
    # surname only
    "suffix_in_surname": 0.01,
    # the whole name
    "full_name_in_surname": 0.01,  # forename empty, "Forename Surname" in the surname column
    # date of birth
    "dob_missing": 0.06,
    "dob_day_off": 0.02,
    "dob_year_off": 0.02,
    "dob_registration_date": 0.008,  # the date the agency first met them
    "dob_first_january": 0.01,  # day and month not known: 1 January of the year
    # sex
    "sex_missing": 0.07,  # half U, half empty
    "sex_miskeyed": 0.005,
    # address
    "house_number_dropped": 0.03,
    "flat_variant": 0.25,  # of addresses with a flat
    "street_abbreviated": 0.15,
    "locality_dropped": 0.2,
    "town_dropped": 0.3,
    "postcode_no_space": 0.12,
    "postcode_lower": 0.03,
    "postcode_last_two_swapped": 0.015,
    "postcode_missing": 0.04,  # where the dataset does not require it
    # identifiers (where the dataset has the column)
    "nhs_missing": 0.35,
    "ni_missing": 0.5,
    "upn_missing": 0.2,
    "uprn_missing": 0.4,
    "parent_nhs_on_child": 0.005,  # a child's record carries a parent's NHS number
    # records
    "duplicate_record": 0.04,  # the agency holds the person under a second key, corrupted on its own
}


@dataclass(frozen=True)
class Profile:
    """How one agency's system records people (traits that apply to every record of the dataset)."""

    prefix: str
    case: str = "as-typed"  # upper, lower, as-typed
    ascii_only: bool = False  # the system drops diacritics
    widths: tuple[int, int] | None = None  # fixed-width forename, surname fields
    ocr: float = 0.0  # rate of an OCR confusion per name (scanned paper forms)
    rows: tuple[int, int] = (1, 3)
    event_types: tuple[str, ...] = ()


PROFILES = {
    "bcc-council-tax": Profile("CTA", case="upper", ascii_only=True, widths=(10, 14), rows=(1, 1)),
    "asc-offenders": Profile("POL", case="upper", ascii_only=True, event_types=("person-committed-offence",)),
    "bcc-social-care": Profile("LCS", ocr=0.04, event_types=("open-to-families-in-focus-or-social-care",)),
    "bcc-mental-health": Profile("MH", ocr=0.02, rows=(1, 2), event_types=("mental-health-concern",)),
    "dfe-free-school-meals": Profile("FSM", rows=(1, 2), event_types=("child-free-school-meals",)),
    "ehm-referrals": Profile("EHR", case="lower", ocr=0.05, event_types=(
        "ehm-referral-crime", "ehm-referral-domestic-abuse", "ehm-referral-health", "ehm-referral-financial",
        "ehm-referral-school", "ehm-referral-service")),
}


@dataclass
class Person:
    pid: str
    forename: str
    middle: str
    surname: str
    sex: str
    dob: date
    nhs: str
    ni: str
    upn: str
    household: str
    trouble: float
    spells: list[dict] = field(default_factory=list)

    def age(self, on: date = AS_OF) -> int:
        return on.year - self.dob.year - ((on.month, on.day) < (self.dob.month, self.dob.day))

    def address_on(self, day: date) -> dict | None:
        for spell in self.spells:
            start = date.fromisoformat(spell["date_from"])
            end = date.fromisoformat(spell["date_to"]) if spell["date_to"] else None
            if start <= day and (end is None or day <= end):
                return spell
        return self.spells[-1] if self.spells else None


def load_truth(truth_dir: Path) -> tuple[list[Person], dict[str, list[str]]]:
    gt = truth_dir / "ground_truth"
    people: dict[str, Person] = {}
    with (gt / "people.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            people[r["person_id"]] = Person(
                r["person_id"], r["forename"], r["middle_names"], r["surname"], r["sex"] or "U",
                date.fromisoformat(r["date_of_birth"]), r["nhs_number"], r["ni_number"], r["upn"],
                r["household_id"], float(r["trouble"] or 0))
    with (gt / "addresses.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["person_id"] in people:
                people[r["person_id"]].spells.append(r)
    for p in people.values():
        p.spells.sort(key=lambda s: s["date_from"])
    parents: dict[str, list[str]] = defaultdict(list)  # household -> current parents
    with (gt / "households.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["role"] == "parent" and not r["date_to"]:
                parents[r["household_id"]].append(r["person_id"])
    return [people[k] for k in sorted(people)], parents


class Corrupter:
    def __init__(self, seed: int, people: dict[str, Person], parents: dict[str, list[str]]):
        self.seed = seed
        self.people = people
        self.parents = parents
        self.applied: Counter = Counter()

    def _hit(self, rng, kind: str, kinds: list[str], rate: float | None = None) -> bool:
        if rng.random() < (RATES[kind] if rate is None else rate):
            kinds.append(kind)
            self.applied[kind] += 1
            return True
        return False

    def _name(self, rng, value: str, profile: Profile, kinds: list[str], which: str) -> str:
        if not value:
            return value
        if "'" in value and self._hit(rng, "apostrophe_variant", kinds):
            value = errors.apostrophe_variant(rng, value)
        if "-" in value and self._hit(rng, "hyphen_variant", kinds):
            value = errors.hyphen_variant(rng, value)
        if errors.has_variant(value) and self._hit(rng, "name_variant", kinds):
            value = errors.name_variant(rng, value)
        if self._hit(rng, "phonetic_respelling", kinds):
            value = errors.phonetic_respelling(rng, value)
        if self._hit(rng, "keyboard_typo", kinds):
            value = errors.keyboard_typo(rng, value)
        if profile.ocr and self._hit(rng, "ocr_confusion", kinds, profile.ocr):
            value = errors.ocr_confusion(rng, value)
        if self._hit(rng, "truncated", kinds):
            value = errors.truncate(rng, value)
        return value

    def identity(self, rng, person: Person, dataset: str, profile: Profile, contact: date) -> tuple[dict, list[str]]:
        kinds: list[str] = []
        forename = self._name(rng, person.forename, profile, kinds, "forename")
        surname = self._name(rng, person.surname, profile, kinds, "surname")
        middle = person.middle
        if middle and self._hit(rng, "middle_as_forename", kinds):
            forename, middle = middle.split()[0], ""
        if forename and self._hit(rng, "initial_only", kinds):
            forename = forename[0]
        if self._hit(rng, "title_in_forename", kinds):
            forename = f"{rng.choice(errors.TITLES.get(person.sex, errors.TITLES['U']))} {forename}"
        if person.sex == "M" and person.age(contact) >= 16 and self._hit(rng, "suffix_in_surname", kinds):
            surname = f"{surname} {rng.choice(errors.SUFFIXES)}"
        if forename and self._hit(rng, "full_name_in_surname", kinds):
            forename, surname = "", f"{forename} {surname}"
        if profile.widths:
            fw, sw = profile.widths
            if len(forename) > fw or len(surname) > sw:
                kinds.append("fixed_width")
            forename, surname = forename[:fw].rstrip(), surname[:sw].rstrip()
        if profile.ascii_only or rng.random() < 0.3:
            plain = [errors.drop_diacritics(x) for x in (forename, middle, surname)]
            if plain != [forename, middle, surname]:
                kinds.append("diacritics_dropped")
            forename, middle, surname = plain
        if profile.case == "upper":
            forename, middle, surname = forename.upper(), middle.upper(), surname.upper()
        elif profile.case == "lower":
            forename, middle, surname = forename.lower(), middle.lower(), surname.lower()
        if self._hit(rng, "random_case", kinds):
            upper = rng.random() < 0.5
            forename, middle, surname = ((x.upper() if upper else x.lower()) for x in (forename, middle, surname))

        dob: date | None = person.dob
        if self._hit(rng, "dob_missing", kinds):
            dob = None
        elif self._hit(rng, "dob_registration_date", kinds):
            dob = contact
        elif self._hit(rng, "dob_first_january", kinds):
            dob = dob.replace(month=1, day=1)
        else:
            if self._hit(rng, "dob_day_off", kinds):
                dob = dob + timedelta(days=rng.choice((-1, 1)))
            if self._hit(rng, "dob_year_off", kinds):
                dob = errors.shift_year(dob, rng.choice((-1, 1)))
        if dob is not None and dob > AS_OF:
            dob = AS_OF

        sex = person.sex
        if self._hit(rng, "sex_missing", kinds):
            sex = "U" if rng.random() < 0.5 else ""
        elif sex in "MF" and self._hit(rng, "sex_miskeyed", kinds):
            sex = "F" if sex == "M" else "M"

        fields = {"forename": forename, "middle_names": middle, "surname": surname,
                  "date_of_birth": date_text(dataset, dob), "sex": sex}
        fields.update(self.address(rng, person, dataset, contact, kinds, profile))
        columns = COLUMNS[dataset]
        fields.update(self.identifiers(rng, person, kinds, columns))
        return fields, kinds

    def address(self, rng, person: Person, dataset: str, contact: date, kinds: list[str], profile: Profile) -> dict:
        spell = person.address_on(contact)
        if spell is None:
            return {}
        if spell is not person.spells[-1]:
            kinds.append("earlier_address")
        sub, building, number, street = spell["sub_building"], spell["building_name"], spell["number"], spell["street"]
        locality, town, postcode = spell["locality"], spell["town"], spell["postcode"]
        if sub and self._hit(rng, "flat_variant", kinds):
            sub = errors.flat_variant(rng, sub)
        if number and self._hit(rng, "house_number_dropped", kinds):
            number = ""
        if self._hit(rng, "street_abbreviated", kinds):
            street = errors.abbreviate_street(street)
        if locality and self._hit(rng, "locality_dropped", kinds):
            locality = ""
        if town and self._hit(rng, "town_dropped", kinds):
            town = ""
        line = ", ".join(x for x in (sub, building, f"{number} {street}".strip(), locality, town) if x)
        if profile.case == "upper":
            line = line.upper()
        elif profile.case == "lower":
            line = line.lower()
        required = dataset == "bcc-council-tax"
        if not required and self._hit(rng, "postcode_missing", kinds):
            postcode = ""
        else:
            if self._hit(rng, "postcode_last_two_swapped", kinds):
                postcode = errors.swap_last_two(postcode)
            if self._hit(rng, "postcode_no_space", kinds):
                postcode = postcode.replace(" ", "")
            if self._hit(rng, "postcode_lower", kinds):
                postcode = postcode.lower()
        uprn = spell["uprn"] if "uprn" in COLUMNS[dataset] else ""
        if uprn and self._hit(rng, "uprn_missing", kinds):
            uprn = ""
        return {"address": line, "postcode": postcode, "uprn": uprn}

    def identifiers(self, rng, person: Person, kinds: list[str], columns: list[str]) -> dict:
        nhs, ni, upn = (value if name in columns else "" for name, value in
                        (("nhs_number", person.nhs), ("ni_number", person.ni), ("upn", person.upn)))
        if nhs and self._hit(rng, "nhs_missing", kinds):
            nhs = ""
        elif nhs and person.age() < 16 and self.parents.get(person.household) and \
                self._hit(rng, "parent_nhs_on_child", kinds):
            parent = self.people[rng.choice(self.parents[person.household])]
            nhs = parent.nhs or nhs
        if ni and self._hit(rng, "ni_missing", kinds):
            ni = ""
        if upn and self._hit(rng, "upn_missing", kinds):
            upn = ""
        return {"nhs_number": nhs, "ni_number": ni, "upn": upn}


def chosen(rng, people: list[Person], dataset: str) -> list[Person]:
    """Who each agency holds: its own selection rule, drawn from age and household trouble."""
    def lean(p: Person, base: float) -> bool:
        return rng.random() < min(1.0, base * (1.6 if p.trouble > 0.8 else 1.0 if p.trouble > 0 else 0.5))

    if dataset == "bcc-council-tax":
        return [p for p in people if p.age() >= 18 and rng.random() < 0.9]
    if dataset == "asc-offenders":
        return [p for p in people if 10 <= p.age() <= 70 and lean(p, 0.08)]
    if dataset == "bcc-social-care":
        return [p for p in people if p.age() < 18 and lean(p, 0.12)]
    if dataset == "bcc-mental-health":
        return [p for p in people if p.age() >= 11 and lean(p, 0.06)]
    if dataset == "dfe-free-school-meals":
        return [p for p in people if p.upn and 4 <= p.age() <= 16 and lean(p, 0.3)]
    if dataset == "ehm-referrals":
        return [p for p in people if lean(p, 0.1)]
    raise ValueError(dataset)


def build(truth_dir: Path, out: Path, seed: int = 1) -> dict:
    people_list, parents = load_truth(truth_dir)
    people = {p.pid: p for p in people_list}
    corrupter = Corrupter(seed, people, parents)
    out.mkdir(parents=True, exist_ok=True)
    truth_rows: list[tuple[str, str, str, str]] = []
    counts = {}
    for dataset, profile in PROFILES.items():
        rng = random.Random(f"independent:{seed}:{dataset}")
        rows: list[dict] = []
        serials = iter(rng.sample(range(100000, 999999), 200000 if len(people) > 50000 else 50000))
        references = 0
        records = 0
        for person in chosen(rng, people_list, dataset):
            copies = 2 if rng.random() < RATES["duplicate_record"] else 1
            for copy in range(copies):
                key = f"{profile.prefix}-{next(serials)}"
                contact = AS_OF - timedelta(days=rng.randrange(WINDOW_DAYS))
                fields, kinds = corrupter.identity(rng, person, dataset, profile, contact)
                if copy:
                    kinds.append("duplicate_record")
                    corrupter.applied["duplicate_record"] += 1
                truth_rows.append((dataset, key, person.pid, ";".join(kinds)))
                records += 1
                if dataset == "bcc-council-tax":
                    spell = person.address_on(contact)
                    start = date.fromisoformat(spell["date_from"]) if spell else contact
                    rows.append({**fields, "source_key": key, "date_from": date_text(dataset, start), "date_to": ""})
                    continue
                day = contact
                for _ in range(rng.randint(*profile.rows)):
                    references += 1
                    rows.append({**fields, "source_key": key, "event_date": date_text(dataset, day),
                                 "event_type": rng.choice(profile.event_types),
                                 "reference": f"{profile.prefix}/{references:07d}"})
                    day = min(AS_OF, day + timedelta(days=rng.randint(7, 200)))
        write_extract(out / f"{dataset}.csv", dataset, rows)
        counts[dataset] = {"rows": len(rows), "records": records}
    write_truth(out / "truth.csv", truth_rows)
    manifest = {"model": "benchmarks/independent/corrupt.py", "seed": seed, "as_of": AS_OF.isoformat(),
                "rates": RATES, "profiles": {k: vars(v) for k, v in PROFILES.items()}, "datasets": counts,
                "persons": len({r[2] for r in truth_rows}), "applied": dict(sorted(corrupter.applied.items()))}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, default=list) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, required=True, help="output directory of manage.py synth")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    manifest = build(args.truth, args.out, args.seed)
    print(json.dumps({"datasets": manifest["datasets"], "persons": manifest["persons"]}, indent=1))


if __name__ == "__main__":
    main()
