"""Search-quality evaluation against the synthetic generator's ground truth.

Builds a fixed, seeded set of queries of the kinds practitioners type (misspellings,
nicknames, swapped names, partial dates, old addresses, identifiers), each with the golden
person it should find, and measures how often that person is in the top N. Used by
tests/people/test_search_quality.py and benchmarks/search.py; reads the ground truth, which
the application itself never loads.
"""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from apps.common.names import nickname_table
from apps.sources.models import SourceRecord

QUERY_KINDS = ("misspelt_surname", "nickname", "swapped", "surname_birth_year", "name_month_year", "old_postcode",
               "full_name_dob", "double_barrelled")


@dataclass(frozen=True)
class SearchCase:
    kind: str
    query: str
    person_id: int  # golden Person expected in the top results
    true_person: str


def _true_person_of(truth_dir: Path) -> dict[tuple[str, str], str]:
    with (truth_dir / "records.csv").open(encoding="utf-8") as handle:
        return {(row["dataset"], row["source_key"]): row["person_id"] for row in csv.DictReader(handle)}


def _golden_person_by_truth(true_of: dict) -> dict[str, int]:
    """True person id -> the golden Person most of its source records are linked to."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for dataset, key, person_id in SourceRecord.objects.filter(person__isnull=False).values_list(
        "dataset__code", "source_key", "person_id"
    ).iterator(chunk_size=20000):
        truth = true_of.get((dataset, key))
        if truth:
            votes[truth][person_id] += 1
    return {truth: counter.most_common(1)[0][0] for truth, counter in votes.items()}


def _postcodes_sent(extract_dir: Path, true_of: dict) -> dict[str, set[str]]:
    """True person id -> postcodes some agency's extract recorded for them (the system can only know those)."""
    sent: dict[str, set[str]] = defaultdict(set)
    for path in extract_dir.glob("*.csv"):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                person = true_of.get((path.stem, row.get("source_key")))
                if person and row.get("postcode"):
                    sent[person].add(" ".join(row["postcode"].upper().split()))
    return sent


def _misspell(rng: random.Random, name: str) -> str:
    i = rng.randrange(1, len(name) - 1)
    if rng.random() < 0.5:  # swap two adjacent letters
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    return name[:i] + rng.choice("aeiouy".replace(name[i].lower(), "")) + name[i + 1:]  # wrong vowel


def build_cases(truth_dir: Path, *, per_kind: int = 8, seed: int = 7) -> list[SearchCase]:
    """``per_kind`` cases of each kind in QUERY_KINDS (fewer only if the population has none).

    ``truth_dir`` is the extract's ``ground_truth`` folder; the extract's CSVs are beside it. An
    old-address case uses a previous postcode that some agency actually sent for the person.
    """
    rng = random.Random(seed)  # noqa: S311 - a seeded sample of test cases, not a secret
    true_of = _true_person_of(truth_dir)
    golden = _golden_person_by_truth(true_of)
    postcodes_sent = _postcodes_sent(truth_dir.parent, true_of)
    people = list(csv.DictReader((truth_dir / "people.csv").open(encoding="utf-8")))
    people = [p for p in people if p["person_id"] in golden and p["date_of_birth"]]
    rng.shuffle(people)
    addresses: dict[str, list[dict]] = defaultdict(list)
    for row in csv.DictReader((truth_dir / "addresses.csv").open(encoding="utf-8")):
        addresses[row["person_id"]].append(row)
    nicknames = {formal.title(): short[0].title() for formal, short in nickname_table().items() if short}
    cases: list[SearchCase] = []
    counts: Counter = Counter()

    def add(kind, query, person):
        if counts[kind] < per_kind:
            counts[kind] += 1
            cases.append(SearchCase(kind, query, golden[person["person_id"]], person["person_id"]))

    for p in people:
        fore, sur, dob = p["forename"], p["surname"], date.fromisoformat(p["date_of_birth"])
        if len(sur) >= 5:
            add("misspelt_surname", f"{fore} {_misspell(rng, sur)} {dob:%d/%m/%Y}", p)
        if fore in nicknames:
            add("nickname", f"{nicknames[fore]} {sur} {dob:%d/%m/%Y}", p)
        add("swapped", f"{sur} {fore} {dob:%d %b %Y}", p)
        add("surname_birth_year", f"{fore} {sur} {dob.year}", p)
        add("name_month_year", f"{fore[:1]}{fore[1:].lower()} {sur} {dob:%b %Y}", p)
        current = {a["postcode"] for a in addresses[p["person_id"]] if not a["date_to"]}
        old = [a for a in addresses[p["person_id"]]
               if a["date_to"] and a["postcode"] in postcodes_sent[p["person_id"]] and a["postcode"] not in current]
        if old:
            add("old_postcode", f"{fore} {sur} {old[0]['postcode']}", p)
        add("full_name_dob", f"{fore} {sur} {dob:%d/%m/%y}", p)
        if "-" in sur:
            add("double_barrelled", f"{fore} {sur.split('-')[-1]} {dob:%d/%m/%Y}", p)
        if all(counts[k] >= per_kind for k in QUERY_KINDS):
            break
    return cases


@dataclass
class QualityReport:
    cases: int
    hits: int
    misses: list[tuple[SearchCase, list[int]]]
    by_kind: dict[str, tuple[int, int]]

    @property
    def hit_rate(self) -> float:
        return self.hits / self.cases if self.cases else 0.0


def evaluate(cases: list[SearchCase], search, *, top: int = 3) -> QualityReport:
    """``search(query) -> [person ids, best first]``; a hit is the expected person in the first ``top``."""
    hits, misses, by_kind = 0, [], defaultdict(lambda: [0, 0])
    for case in cases:
        found = search(case.query)[:top]
        by_kind[case.kind][1] += 1
        if case.person_id in found:
            hits += 1
            by_kind[case.kind][0] += 1
        else:
            misses.append((case, found))
    return QualityReport(cases=len(cases), hits=hits, misses=misses, by_kind={k: tuple(v) for k, v in by_kind.items()})
