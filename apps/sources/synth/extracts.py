"""Write one extract per dataset descriptor and the ground truth, streaming rows to CSV.

Each dataset has its own random stream (seeded from the run's seed and the
dataset code) so a dataset's file depends only on the truth and that stream.
An agency record (a source key) is one person as that agency recorded them:
its identity noise is drawn once and repeated on every row it has.

Any descriptor of a supported fact kind gets a file: an event dataset the event
rules do not know by its code takes a share of the population's events of the
indicators its event types record (so it overlaps the other agencies' records,
as a real one would), written with its own event codes; its own extra columns
are filled by type.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from apps.sources.catalogue import IDENTITY_COLUMNS, ISO_DATE, UK_DATE, DatasetSpec
from apps.sources.descriptors import header_names

from .events import EventBuilder
from .geography import Address
from .noise import Noiser, NoiseRates, RecordedIdentity
from .population import RETENTION_YEARS, Enrolment, Person, Population, years_before

# dataset -> (key scope, key format). Datasets of one agency system share a scope, so
# one person has one key across them (the police nominal, the social care id).
KEY_SCOPES: dict[str, tuple[str, str]] = {
    "asc": ("ASC", "ASC-{:06d}"),
    "bcc-asb-cases": ("ASBC", "ASBC-{:05d}"),
    "bcc-youth-offending": ("YOT", "YOT-{:05d}"),
    "bcc-substance-support": ("DAS", "DAS-{:06d}"),
    "bcc-maternity-births": ("MAT", "MAT-{:06d}"),
    "bcc-mental-health": ("MH", "MH-{:06d}"),
    "bcc-neet-tracking": ("CCIS", "CCIS-{:06d}"),
    "bcc-benefit-cap": ("REVBEN", "RB-{:07d}"),
    "bcc-rent-arrears": ("HSG", "HSG-{:06d}"),
    "bcc-social-care": ("LCS", "LCS-{:07d}"),
    "bcc-looked-after": ("LCS", "LCS-{:07d}"),
    "bcc-children-in-need": ("LCS", "LCS-{:07d}"),
    "bcc-child-protection": ("LCS", "LCS-{:07d}"),
    "bcc-homeless-prevention": ("HPS", "HPS-{:05d}"),
    "dwp-out-of-work-benefits": ("DWP", "DWP-{:08d}"),
    "dfe-sen": ("EYES", "EYES-{:07d}"),
    "dfe-exclusions": ("EYES", "EYES-{:07d}"),
    "dfe-free-school-meals": ("EYES", "EYES-{:07d}"),
    "dfe-pru-placements": ("EYES", "EYES-{:07d}"),
    "dfe-attendance": ("XVAULT", "XV-{:07d}"),
    "ehm": ("EHM", "EHM-{:06d}"),
}
REFERENCE_PREFIX = {"asc": "{tag}/{yy}/{n:06d}", "ehm": "EH{n:07d}"}

# sessions possible in a full month at school, September to July (two sessions a day)
SESSIONS_POSSIBLE = {9: 32, 10: 42, 11: 40, 12: 30, 1: 38, 2: 32, 3: 40, 4: 30, 5: 36, 6: 40, 7: 30}


def date_formatter(spec: DatasetSpec) -> Callable[[date], str]:
    if spec.date_format == UK_DATE:
        return lambda d: f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
    if spec.date_format == ISO_DATE:
        return date.isoformat
    return lambda d: d.strftime(spec.date_format)


# The further fact columns an event's ``extra`` carries, by the event type it records.
EVENT_EXTRA_COLUMNS = {"neet-status": ("activity",), "early-help-episode": ("lead_professional", "closed_on")}
BORROWED_SHARE = 0.5  # of the population's events of its indicators, an unknown event dataset records


@dataclass
class DatasetCount:
    rows: int = 0
    records: int = 0


class KeyRegistry:
    """Agency record keys: unique random numbers per scope, one (or, for duplicates, two) per person."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._keys: dict[tuple[str, int, int], str] = {}
        self._used: dict[str, set[int]] = {}

    def key(self, scope: str, fmt: str, owner: int, copy: int = 0) -> str:
        found = self._keys.get((scope, owner, copy))
        if found is None:
            used = self._used.setdefault(scope, set())
            width = 10 ** int(fmt.split(":0", 1)[1].split("d", 1)[0])
            number = self.rng.randrange(1, width)
            while number in used:
                number = self.rng.randrange(1, width)
            used.add(number)
            found = self._keys[(scope, owner, copy)] = fmt.format(number)
        return found


class ExtractWriter:
    """Writes one dataset's CSV and its rows of ``ground_truth/records.csv``."""

    def __init__(self, *, spec: DatasetSpec, out_dir: Path, seed: int, rates: NoiseRates, keys: KeyRegistry,
                 truth_writer, population: Population):
        self.spec = spec
        self.rng = random.Random(f"{seed}:{spec.code}")
        self.rates = rates
        self.keys = keys
        self.truth_writer = truth_writer
        self.pop = population
        self.format_date = date_formatter(spec)
        self.identity_columns = tuple(c for c in spec.columns if c in IDENTITY_COLUMNS and c != "source_key")
        # rows are made as the identity columns, then the fact columns; the file's order may interleave them
        made = ("source_key", *self.identity_columns, *(c for c in spec.columns if c not in IDENTITY_COLUMNS))
        self._order = None if tuple(made) == tuple(spec.columns) else [made.index(c) for c in spec.columns]
        self.noiser = Noiser(self.rng, rates, columns=spec.columns, required=spec.required,
                             format_date=self.format_date, latest_birth=population.as_of)
        self.path = out_dir / f"{spec.code}.csv"
        self.count = DatasetCount()
        self._records: dict[int, list[list[str]]] = {}
        self._duplicated: dict[int, bool] = {}
        agency = spec.code.split("-", 1)[0]
        # residence and census records are keyed by account or admission number instead
        self.scope, self.key_format = (KEY_SCOPES.get(spec.code) or KEY_SCOPES.get(agency)
                                       or (spec.code.upper(), spec.code.rsplit("-", 1)[-1][:4].upper() + "-{:06d}"))
        self._references = 0

    # ---- identity ------------------------------------------------------------------------

    def _identity(self, key: str, person: Person, address: Address, stale: Address | None,
                  duplicate: bool = False) -> list[str]:
        recorded: RecordedIdentity = self.noiser.identity(person, address, stale)
        noise = ("duplicate_record", *recorded.noise) if duplicate else recorded.noise
        self.truth_writer.writerow((self.spec.code, key, person.id, ";".join(noise), recorded.uprn))
        self.count.records += 1
        return [key, *(recorded.values.get(c, "") for c in self.identity_columns)]

    def person_record(self, person: Person, day: date) -> list[str]:
        """The agency's record of this person, made on first sight at the address they had then.

        A person the agency holds twice (``duplicate_record``) gets the second record on
        their second row, and either record on later rows.
        """
        records = self._records.get(person.index)
        if records is None:
            records = self._records[person.index] = [self._new_record(person, day, 0)]
            self._duplicated[person.index] = self.rng.random() < self.rates.duplicate_record
            return records[0]
        if self._duplicated[person.index]:
            if len(records) == 1:
                records.append(self._new_record(person, day, 1))
                return records[1]
            return self.rng.choice(records)
        return records[0]

    def _new_record(self, person: Person, day: date, copy: int) -> list[str]:
        address, stale = person.address_at(day)
        key = self.keys.key(self.scope, self.key_format, person.index, copy)
        return self._identity(key, person, address, stale, duplicate=copy > 0)

    def spell_record(self, key: str, person: Person, address: Address) -> list[str]:
        """A record that belongs to one address spell (a council tax occupancy, a tenancy, a claim)."""
        return self._identity(key, person, address, None)

    def reference(self, day: date, incident: str = "") -> str:
        self._references += 1
        agency = self.spec.code.split("-", 1)[0]
        if agency == "asc":
            tag = "DA" if incident else self.spec.code.split("-")[1].upper()[:3]
            return f"{tag}/{day.year % 100:02d}/{incident or f'{self._references:06d}'}"
        if agency == "ehm":
            return f"EH{self._references:07d}"
        return f"{self.spec.code.split('-')[1].upper()[:3]}-{self._references:07d}"

    # ---- rows -----------------------------------------------------------------------------

    def write(self, rows: Iterator[list[str]]) -> DatasetCount:
        with self.path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header_names(self.spec))
            order = self._order
            for row in rows:
                writer.writerow(row if order is None else [row[i] for i in order])
                self.count.rows += 1
        return self.count


def dataset_rows(writer: ExtractWriter, events: EventBuilder) -> Iterator[list[str]]:
    """The rows of one dataset, by its fact kind."""
    spec, pop, fmt = writer.spec, writer.pop, writer.format_date
    retention_start = years_before(pop.as_of, RETENTION_YEARS)
    if spec.fact_kind == "event":
        yield from _event_rows(writer, events)
    elif spec.fact_kind == "custody":
        for person, start, release, establishment in events.custody:
            yield [*writer.person_record(person, start), fmt(start), fmt(release), establishment]
    elif spec.fact_kind == "residence":
        yield from _residence_rows(writer, retention_start)
    elif spec.fact_kind == "enrolment" and spec.code != "dfe-pru-placements":  # census-like: every enrolment
        for person in pop.people:
            for enrolment in person.enrolments:
                key = f"{enrolment.school.urn}-{enrolment.admission_number:05d}"
                yield [*writer.spell_record(key, person, person.address_at(enrolment.date_from)[0]),
                       *_enrolment_facts(enrolment, fmt)]
    elif spec.fact_kind == "enrolment":
        for person in pop.people:
            for placement in person.pru_placements:
                yield [*writer.person_record(person, placement.date_from), *_enrolment_facts(placement, fmt)]
    elif spec.fact_kind == "sen":
        for person in pop.people:
            for status, sen_type, recorded in person.sen:
                yield [*writer.person_record(person, recorded), status, sen_type, fmt(recorded)]
    elif spec.fact_kind == "exclusion":
        for person in pop.people:
            for exclusion in person.exclusions:
                if exclusion.start >= retention_start:
                    yield [*writer.person_record(person, exclusion.start), exclusion.school.urn, exclusion.school.name,
                           exclusion.kind, fmt(exclusion.start), str(exclusion.sessions or ""), exclusion.reason]
    elif spec.fact_kind == "attendance":
        yield from _attendance_rows(writer)
    else:  # pragma: no cover - the catalogue's fact kinds are all handled above
        raise ValueError(f"{spec.code}: no generator for fact kind {spec.fact_kind!r}")


def _event_rows(writer: ExtractWriter, events: EventBuilder) -> Iterator[list[str]]:
    spec, fmt = writer.spec, writer.format_date
    own = events.events.get(spec.code)
    if own is None:  # a dataset the event rules do not know: a share of the events of the indicators it records
        targets = {spec.indicator_of(code) for code in spec.event_types}
        own = sorted((e for code in sorted(events.events) for e in events.events[code] if e.event_type in targets),
                     key=lambda e: (e.day, e.person.index, e.event_type))
        own = [e for e in own if writer.rng.random() < BORROWED_SHARE]
    code_for = {}
    for code in spec.event_types:  # the dataset's own code for each event type it records
        code_for.setdefault(spec.indicator_of(code), code)
    for event in own:
        values = {"event_date": fmt(event.day), "event_type": code_for.get(event.event_type, event.event_type),
                  "reference": writer.reference(event.day, event.incident)}
        values.update(zip(EVENT_EXTRA_COLUMNS.get(event.event_type, ()),
                          (fmt(x) if isinstance(x, date) else x or "" for x in event.extra), strict=False))
        yield [*writer.person_record(event.person, event.day),
               *(values[c] if c in values else _filler(spec, c, event.day, fmt) for c in spec.fact_columns)]


def _filler(spec: DatasetSpec, column: str, day: date, fmt) -> str:
    """A value for a column of the dataset's own that the generator has no truth for: by type, empty if optional."""
    if column not in spec.required:
        return ""
    column_type = spec.column_types.get(column, "string")
    if column_type == "date":
        return fmt(day)
    if column_type == "integer":
        return "1"
    codes = spec.code_lists.get(column)
    return codes[0] if codes else "-"


def _enrolment_facts(enrolment: Enrolment, fmt) -> list[str]:
    return [enrolment.school.urn, enrolment.school.name, fmt(enrolment.date_from),
            fmt(enrolment.date_to) if enrolment.date_to else ""]


def _residence_rows(writer: ExtractWriter, retention_start: date) -> Iterator[list[str]]:
    """Council tax lists every occupant; benefit claims and council tenancies the household they cover."""
    spec, pop, fmt, rng = writer.spec, writer.pop, writer.format_date, writer.rng
    prefix = {"bcc-council-tax": "CT", "bcc-housing-benefit": "HB", "bcc-housing-tenancies": "TEN"}.get(
        spec.code) or spec.code.rsplit("-", 1)[-1][:4].upper()
    for household in pop.households:
        if spec.code == "bcc-housing-benefit" and not household.low_income:
            continue
        if spec.code == "bcc-housing-tenancies" and not household.council_tenant:
            continue
        for spell_number, (address, _begin, end) in enumerate(household.spells):
            if end is not None and end < retention_start:
                continue
            if spec.code == "bcc-housing-benefit" and end is not None and rng.random() < 0.5:
                continue  # the earlier address was not on benefit
            account = writer.keys.key(prefix, prefix + "{:08d}", household.index, spell_number)
            occupant = 0
            for membership in household.members:
                person = membership.person
                for spell_address, s, e in person.spells:
                    if spell_address is not address:
                        continue
                    occupant += 1
                    yield [*writer.spell_record(f"{account}/{occupant}", person, address), fmt(s),
                           fmt(e) if e else ""]


def _attendance_rows(writer: ExtractWriter) -> Iterator[list[str]]:
    """Monthly sessions for the academic year so far, at whichever school the pupil attended that month."""
    pop, rng = writer.pop, writer.rng
    months = []
    day = pop.year_start
    while day <= pop.as_of:
        if day.month in SESSIONS_POSSIBLE:
            months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    school_offset = {school.urn: rng.choice((-2, 0, 0, 0, 2)) for school in pop.schools}
    for person in pop.people:
        if person.attendance_rate is None:
            continue
        placements = [*person.enrolments, *person.pru_placements]
        for month in months:
            mid = month.replace(day=15)
            enrolment = next((e for e in placements if e.date_from <= mid and (e.date_to is None or mid <= e.date_to)),
                             None)
            if enrolment is None:
                continue
            school = enrolment.school
            possible = max(10, SESSIONS_POSSIBLE[month.month] + school_offset[school.urn])
            rate = person.attendance_rate - (0.15 if school.phase == "pru" else 0.0) + rng.gauss(0, 0.04)
            attended = round(possible * min(1.0, max(0.0, rate)))
            yield [*writer.person_record(person, mid), school.urn, school.name, f"{month.year:04d}-{month.month:02d}",
                   str(attended), str(possible)]
