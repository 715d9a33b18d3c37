"""The truth: people, households and families, addresses, schools and school careers.

Every household has a latent ``trouble`` score (standard normal, shifted by the
deprivation of where it lives); every child a ``disengagement`` score that
mixes it with the child's own. The events in ``events.py`` and the school facts
here are drawn from them, so troubled families show several problems at once.

(Over 400 lines on purpose: one ``Population`` builder drawing from one seeded random
stream in a fixed order. Its steps only make sense in that order, and any change of
order changes every generated extract, so they stay together.)
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from apps.common.dates import academic_age, academic_year_start, age_on

from .geography import DISTRICTS, Address, AddressBook
from .identifiers import make_nhs_number, make_ni_number, make_upn
from .names import ETHNICITIES, NamePools, build_name_pools, surname_for

LA_CODE = "801"  # Bristol
RETENTION_YEARS = 6  # spells and enrolments that ended before this are not extracted

# Family make-up the matcher's family guard must hold apart (docs/synthetic-data.md, "The truth"):
TWIN_BIRTH = 0.015  # a birth is twins: ONS, about 15 multiple maternities per 1,000 in England and Wales
TWINS_SAME_SEX = 1 / 3  # identical twins (about a third of twin pairs); the rest draw their sex independently
SON_NAMED_AFTER_FATHER = 0.02  # assumption: a son given his father's forename (a "junior")
DAUGHTER_NAMED_AFTER_MOTHER = 0.01  # assumption: a daughter given her mother's forename
DOUBLE_BARRELLED = 0.2  # assumption: children of unmarried parents given both parents' surnames, hyphenated
KNOWN_BY_MIDDLE_NAME = 0.03  # assumption: people with a middle name who go by it day to day


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def years_before(day: date, years: float) -> date:
    return day - timedelta(days=round(years * 365.25))


@dataclass(slots=True, eq=False)
class School:
    urn: str
    establishment: str
    name: str
    phase: str  # primary | secondary | pru
    district: str
    area: str
    upn_serials: dict[int, int] = field(default_factory=dict)
    admission_numbers: itertools.count = field(default_factory=lambda: itertools.count(1))


@dataclass(slots=True, eq=False)
class Enrolment:
    school: School
    date_from: date
    date_to: date | None
    admission_number: int


@dataclass(slots=True, eq=False)
class Exclusion:
    school: School
    kind: str  # FIXED | PERMANENT
    start: date
    sessions: int
    reason: str


@dataclass(slots=True, eq=False)
class Person:
    index: int
    id: str
    forename: str
    middle_names: str
    surname: str
    previous_surname: str
    sex: str
    date_of_birth: date
    ethnicity: str
    trouble: float  # the household's latent score, plus the person's own
    disengagement: float = 0.0  # children: latent school disengagement
    nhs_number: str = ""
    ni_number: str = ""
    upn: str = ""
    known_by_middle_name: bool = False  # goes by their first middle name; agencies may record that as the forename
    # spells: (address, date_from, date_to or None); filled from memberships
    spells: list[tuple[Address, date, date | None]] = field(default_factory=list)
    enrolments: list[Enrolment] = field(default_factory=list)
    pru_placements: list[Enrolment] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    sen: list[tuple[str, str, date]] = field(default_factory=list)  # (status, type, recorded_on)
    attendance_rate: float | None = None
    activity: dict[int, str] = field(default_factory=dict)  # academic age 16..18 -> EET | NEET
    flags: set[str] = field(default_factory=set)  # what happened to them (only tested, never iterated)

    def address_at(self, day: date) -> tuple[Address, Address | None]:
        """The address they lived at on ``day`` (else the nearest spell) and the one before it."""
        chosen = 0
        for i, (_, start, _) in enumerate(self.spells):
            if start <= day:
                chosen = i
        previous = self.spells[chosen - 1][0] if chosen > 0 else None
        return self.spells[chosen][0], previous

    def age_on(self, day: date) -> int:
        return age_on(self.date_of_birth, day)


@dataclass(slots=True, eq=False)
class Membership:
    person: Person
    role: str  # parent | partner | child | adult
    date_from: date
    date_to: date | None


@dataclass(slots=True, eq=False)
class Household:
    index: int
    id: str
    trouble: float
    spells: list[tuple[Address, date, date | None]] = field(default_factory=list)
    members: list[Membership] = field(default_factory=list)
    is_family: bool = False
    council_tenant: bool = False
    workless: bool = False
    low_income: bool = False

    def current_members(self) -> list[Person]:
        return [m.person for m in self.members if m.date_to is None]

    def adults(self, on: date) -> list[Person]:
        return [m.person for m in self.members if m.date_to is None and m.person.age_on(on) >= 18]


@dataclass(frozen=True)
class Scale:
    people: int
    families: int


SCALES = {"small": Scale(people=2_000, families=635), "bristol": Scale(people=170_000, families=54_000)}

_CHILDREN = ((1, 0.60), (2, 0.29), (3, 0.08), (4, 0.025), (5, 0.005))
_SEN_SUPPORT_TYPES = (("SLCN", 24), ("SEMH", 20), ("MLD", 17), ("SPLD", 14), ("ASD", 10), ("OTH", 5), ("PD", 3),
                      ("HI", 2), ("VI", 1), ("SLD", 1), ("NSA", 3))
_EHCP_TYPES = (("ASD", 33), ("SLCN", 21), ("SEMH", 15), ("SLD", 9), ("MLD", 5), ("PD", 4), ("SPLD", 3),
               ("PMLD", 2), ("HI", 2), ("VI", 1), ("MSI", 1), ("OTH", 4))
_EXCLUSION_REASONS = (("PD", 32), ("VA", 10), ("PP", 12), ("PA", 8), ("DA", 6), ("DM", 4), ("BU", 3), ("RA", 2),
                      ("SM", 2), ("TH", 2), ("OT", 19))


def _weighted(rng: random.Random, options) -> object:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def _free_day(rng: random.Random, start: date, days: int, taken: set[date]) -> date | None:
    """A random day of the ``days`` from ``start`` that is not in ``taken`` (None when all are)."""
    offset = rng.randrange(days)
    for step in range(days):
        day = start + timedelta(days=(offset + step) % days)
        if day not in taken:
            return day
    return None


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; the rates here are small."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Population:
    """Builds and holds the true population. ``build()`` runs the stages in a fixed order."""

    def __init__(self, *, seed: int, people: int, families: int, as_of: date, progress=None):
        self.rng = random.Random(seed)
        self.faker = Faker("en_GB")
        self.faker.seed_instance(seed)
        self.target_people = people
        self.target_families = families
        self.as_of = as_of
        self.progress = progress or (lambda stage, **counts: None)
        self.names = build_name_pools(seed)
        self._ethnic_cumulative = tuple(itertools.accumulate(share for _, share, _ in ETHNICITIES))
        self.people: list[Person] = []
        self.households: list[Household] = []
        self.schools: list[School] = []
        self._nhs_used: set[str] = set()
        self._ni_used: set[str] = set()
        self.year_start = academic_year_start(as_of)  # of the academic year in progress on as_of
        self.window_start = years_before(as_of, 3)  # events are drawn from the last three years
        self.addresses = AddressBook(self.rng, self.faker, households=max(50, people // 3))

    # ---- stages ---------------------------------------------------------------------

    def build(self) -> Population:
        self._make_schools()
        self._make_households()
        self.progress("households", people=len(self.people), households=len(self.households),
                      families=sum(h.is_family for h in self.households))
        self._assign_spells()
        self._assign_identifiers()
        self._school_careers()
        self.progress("schools", schools=len(self.schools), pupils=sum(1 for p in self.people if p.enrolments))
        return self

    # ---- schools --------------------------------------------------------------------

    def _make_schools(self) -> None:
        rng = self.rng
        n = self.target_people
        plan = (("primary", max(6, n // 1400)), ("secondary", max(2, n // 6000)), ("pru", max(1, min(3, n // 2000))))
        districts = tuple(DISTRICTS)
        urns = rng.sample(range(100_000, 150_000), sum(count for _, count in plan))
        numbers = {"primary": itertools.count(2001), "secondary": itertools.count(4001), "pru": itertools.count(1101)}
        names_seen: set[str] = set()
        for phase, count in plan:
            for i in range(count):
                district = districts[i % len(districts)]
                area, localities, _, _ = DISTRICTS[district]
                locality = rng.choice(localities)
                while True:
                    if phase == "primary":
                        name = f"{locality} {rng.choice(('Primary School', 'Primary Academy', 'Infant and Junior School', 'Church of England Primary School'))}"
                        if name in names_seen:
                            name = f"{self.faker.last_name()} {rng.choice(('Primary School', 'Park Primary School'))}"
                    elif phase == "secondary":
                        name = f"{locality} {rng.choice(('Academy', 'Community School', 'School', 'College'))}"
                        if name in names_seen:
                            name = f"{self.faker.last_name()} {rng.choice(('Academy', 'High School'))}"
                    else:
                        name = f"{locality} Learning Centre (Pupil Referral Unit)"
                    if name not in names_seen:
                        break
                names_seen.add(name)
                self.schools.append(School(str(urns[len(self.schools)]), str(next(numbers[phase])), name, phase,
                                           district, area))

    def _nearest_school(self, phase: str, district: str) -> School:
        candidates = [s for s in self.schools if s.phase == phase and s.district == district]
        if not candidates:
            area = DISTRICTS[district][0]
            candidates = [s for s in self.schools if s.phase == phase and s.area == area] or [
                s for s in self.schools if s.phase == phase
            ]
        return self.rng.choice(candidates)

    # ---- people and households ---------------------------------------------------------

    def _tradition(self) -> tuple[str, NamePools]:
        i = bisect.bisect_right(self._ethnic_cumulative, self.rng.random() * self._ethnic_cumulative[-1])
        code, _, tradition = ETHNICITIES[min(i, len(ETHNICITIES) - 1)]
        return code, self.names[tradition]

    def _dob(self, age: int) -> date:
        """A birthday making someone ``age`` on as_of."""
        latest = date(self.as_of.year - age, self.as_of.month, self.as_of.day) if not (
            self.as_of.month == 2 and self.as_of.day == 29) else date(self.as_of.year - age, 2, 28)
        return latest - timedelta(days=self.rng.randrange(365))

    def _person(self, *, sex: str, age: int, ethnicity: str, pools: NamePools, surname: str, trouble: float,
                previous_surname: str = "") -> Person:
        rng = self.rng
        forenames = pools.male if sex == "M" else pools.female
        forename = forenames.pick(rng)
        middle = forenames.pick(rng) if rng.random() < 0.6 else ""
        if middle == forename:
            middle = ""
        index = len(self.people)
        person = Person(index, f"P{index + 1:07d}", forename, middle, surname_for(surname, sex),
                        surname_for(previous_surname, sex) if previous_surname else "", sex, self._dob(age),
                        ethnicity, trouble + rng.gauss(0, 0.6))
        person.known_by_middle_name = bool(middle) and rng.random() < KNOWN_BY_MIDDLE_NAME
        self.people.append(person)
        return person

    def _household(self, trouble: float) -> Household:
        household = Household(len(self.households), f"H{len(self.households) + 1:06d}", trouble)
        self.households.append(household)
        return household

    def _make_households(self) -> None:
        families = 0
        largest_family = 12  # leave room so the last family cannot overshoot the target
        while families < self.target_families and len(self.people) + largest_family <= 0.98 * self.target_people:
            families += self._make_family()
            if len(self.households) % 5000 == 0:
                self.progress("households", people=len(self.people), households=len(self.households))
        while len(self.people) < self.target_people:
            self._make_adult_household()

    def _make_family(self) -> int:
        rng = self.rng
        trouble = rng.gauss(0, 1)
        household = self._household(trouble)
        ethnicity, pools = self._tradition()
        lone = rng.random() < sigmoid(0.6 * trouble)  # about half, as in the Troubled Families evaluation
        n_children = _weighted(rng, _CHILDREN) + (1 if trouble > 1.5 and rng.random() < 0.3 else 0)
        youngest = rng.randrange(16) if rng.random() < 0.95 else rng.choice((16, 17, 18))
        ages = [youngest]
        for _ in range(n_children - 1):
            ages.append(ages[-1] + _weighted(rng, ((1, 2), (2, 4), (3, 3), (4, 2), (5, 1), (7, 1))))
        ages = [a for a in ages if a <= 18 or (a <= 24 and rng.random() < 0.1)]  # few grown-up children stay
        ages += [a for a in ages if rng.random() < TWIN_BIRTH]  # a twin: the same age, born the same day (below)
        oldest = max(ages)
        age_at_first = min(max(round(rng.gauss(28 - 2.5 * max(trouble, 0.0), 5.5)), 15), 42)
        mother_age = oldest + age_at_first
        if mother_age - youngest > 47:
            mother_age = youngest + rng.randrange(35, 47)
        family_surname = pools.surnames.pick(rng)
        father_of_children = family_surname
        since = years_before(self.as_of, max(oldest + 1, rng.uniform(1, 12)))
        adults: list[tuple[Person, str]] = []
        if lone and rng.random() < 0.1:  # lone father
            father = self._person(sex="M", age=mother_age + rng.randrange(0, 5), ethnicity=ethnicity, pools=pools,
                                  surname=family_surname, trouble=trouble)
            adults.append((father, "parent"))
        elif lone:
            married_before = rng.random() < 0.35
            mother_surname = pools.surnames.pick(rng) if married_before else family_surname
            mother = self._person(sex="F", age=mother_age, ethnicity=ethnicity, pools=pools, surname=mother_surname,
                                  trouble=trouble, previous_surname=family_surname if married_before else "")
            adults.append((mother, "parent"))
            if not married_before and rng.random() < 0.5:
                father_of_children = pools.surnames.pick(rng)
        else:
            married = rng.random() < 0.6
            maiden = pools.surnames.pick(rng)
            mother = self._person(sex="F", age=mother_age, ethnicity=ethnicity, pools=pools,
                                  surname=family_surname if married else maiden, trouble=trouble,
                                  previous_surname=maiden if married else "")
            partner_age = max(mother_age + round(rng.gauss(2.5, 4)), youngest + 17)
            partner = self._person(sex="M", age=partner_age, ethnicity=ethnicity, pools=pools, surname=family_surname,
                                   trouble=trouble)
            adults += [(mother, "parent"), (partner, "parent")]
            if not married and rng.random() < 0.5:
                father_of_children = maiden
            elif not married and rng.random() < DOUBLE_BARRELLED:
                father_of_children = f"{family_surname}+{maiden}"  # "Smith-Jones" (see ``surname_for``)
        for person, role in adults:
            household.members.append(Membership(person, role, since, None))
        dependent = False
        previous: tuple[int, Person, str] | None = None  # the last child made: age, person, surname as drawn
        for age in sorted(ages):
            twin = previous[1] if previous is not None and previous[0] == age else None
            surname = father_of_children if rng.random() < 0.9 else pools.surnames.pick(rng)
            if twin is not None:
                surname = previous[2]
            sex = twin.sex if twin is not None and rng.random() < TWINS_SAME_SEX else rng.choice("MF")
            child = self._person(sex=sex, age=age, ethnicity=ethnicity, pools=pools, surname=surname, trouble=trouble)
            if twin is not None:
                self._make_twin(child, twin, pools)
            else:
                self._maybe_name_after_parent(child, [person for person, _ in adults])
            previous = (age, child, surname)
            child.disengagement = 0.5 * trouble + rng.gauss(0, 0.85)
            self._young_person_activity(child, forced_eet=age == youngest and age >= 16)
            dependent = dependent or age < 16 or (age <= 18 and child.activity.get(age) == "EET")
            born = child.date_of_birth
            household.members.append(Membership(child, "child", max(since, born), None))
            mother_age_at_birth = (born - adults[0][0].date_of_birth).days / 365.25
            if adults[0][0].sex == "F" and mother_age_at_birth < 20:
                adults[0][0].flags.add("teenage-parent")
                child.flags.add("born-to-teenage-parent")
        household.is_family = dependent
        # a separation: the partner left in the last three years and lives alone now
        if len(adults) == 2 and rng.random() < 0.08 + 0.05 * max(trouble, 0.0):
            partner_membership = household.members[1]
            left = self.as_of - timedelta(days=rng.randrange(30, 3 * 365))
            partner_membership.date_to = left
            own = self._household(trouble)
            own.members.append(Membership(partner_membership.person, "adult", left, None))
            partner_membership.person.flags.add("separated")
        return int(dependent)

    def _make_twin(self, child: Person, twin: Person, pools: NamePools) -> None:
        """Born the same day as ``twin``, with the same surname and another forename."""
        child.date_of_birth = twin.date_of_birth
        forenames = pools.male if child.sex == "M" else pools.female
        for _ in range(20):
            if child.forename != twin.forename:
                break
            child.forename = forenames.pick(self.rng)
        if child.middle_names == child.forename:
            child.middle_names = ""
        child.flags.add("twin")
        twin.flags.add("twin")

    def _maybe_name_after_parent(self, child: Person, parents: list[Person]) -> None:
        """A son named after his father, a daughter after her mother (only where they share a surname)."""
        rate = SON_NAMED_AFTER_FATHER if child.sex == "M" else DAUGHTER_NAMED_AFTER_MOTHER
        parent = next((p for p in parents if p.sex == child.sex and p.surname == child.surname), None)
        if parent is not None and self.rng.random() < rate:
            child.forename = parent.forename
            if child.middle_names == child.forename:
                child.middle_names = ""
            child.flags.add("named-after-parent")

    def _make_adult_household(self) -> None:
        rng = self.rng
        trouble = rng.gauss(0, 1)
        household = self._household(trouble)
        ethnicity, pools = self._tradition()
        room = self.target_people - len(self.people)
        kind = _weighted(rng, (("single", 55), ("couple", 30), ("sharers", 15))) if room > 1 else "single"
        since = years_before(self.as_of, rng.uniform(0.3, 10))
        if kind == "couple":
            maiden = pools.surnames.pick(rng)
            surname = pools.surnames.pick(rng)
            married = rng.random() < 0.5
            age = rng.randrange(20, 85)
            for person in (
                self._person(sex="F", age=age, ethnicity=ethnicity, pools=pools, surname=surname if married else maiden,
                             trouble=trouble, previous_surname=maiden if married else ""),
                self._person(sex="M", age=min(age + rng.randrange(-3, 6), 95), ethnicity=ethnicity, pools=pools,
                             surname=surname, trouble=trouble),
            ):
                household.members.append(Membership(person, "adult", since, None))
            return
        for _ in range(1 if kind == "single" else min(room, rng.randrange(2, 4))):
            age = rng.randrange(18, 26) if kind == "sharers" or rng.random() < 0.3 else rng.randrange(18, 90)
            person = self._person(sex=rng.choice("MF"), age=age, ethnicity=ethnicity, pools=pools,
                                  surname=pools.surnames.pick(rng), trouble=trouble)
            if age <= 21:
                person.disengagement = 0.5 * trouble + rng.gauss(0, 0.85)
                self._young_person_activity(person, forced_eet=False)
            household.members.append(Membership(person, "adult", max(since, years_before(self.as_of, age - 18)), None))

    def academic_age(self, person: Person) -> int:
        """Age on 31 August before the academic year in progress: 4 in Reception, 15 in Year 11."""
        return academic_age(person.date_of_birth, self.as_of)

    def _young_person_activity(self, person: Person, *, forced_eet: bool) -> None:
        """Activity at academic ages 16-18 already reached: the NEET outcome the Risk-of-NEET model learns."""
        rng = self.rng
        now = self.academic_age(person)
        if now < 16 or now > 21:
            return
        p = sigmoid(-3.1 + 0.55 * person.trouble + 0.9 * person.disengagement + (0.3 if person.sex == "M" else 0.0))
        neet17 = rng.random() < p
        statuses = {
            16: "NEET" if (neet17 and rng.random() < 0.6) or rng.random() < p / 3 else "EET",
            17: "NEET" if neet17 else "EET",
            18: "NEET" if (neet17 and rng.random() < 0.7) or rng.random() < p / 2 else "EET",
        }
        for age in range(16, min(now, 18) + 1):
            person.activity[age] = "EET" if forced_eet and age == now else statuses[age]

    # ---- addresses ----------------------------------------------------------------------

    def _assign_spells(self) -> None:
        rng = self.rng
        for household in self.households:
            trouble = household.trouble
            household.council_tenant = rng.random() < sigmoid(-1.4 + 0.9 * trouble)
            household.workless = any(m.role in ("parent", "adult") for m in household.members) and (
                rng.random() < sigmoid(-1.9 + 1.1 * trouble + (0.7 if sum(m.role == "parent" for m in household.members) == 1 else 0.0)))
            household.low_income = household.workless or rng.random() < sigmoid(-1.6 + 0.6 * trouble)
            start = min(m.date_from for m in household.members)
            moves = min(4, poisson(rng, 0.4 + 0.35 * max(trouble, 0.0)))
            # current address from a date after the household formed, earlier ones back to its start
            boundaries = sorted(
                start + timedelta(days=rng.randrange(max(1, (self.as_of - start).days - 60)))
                for _ in range(moves)
            )
            dates = [start, *boundaries]
            flat_p = 0.2 + (0.25 if household.council_tenant else 0.0) + 0.05 * max(trouble, 0.0)
            # district deprivation follows the household: the trouble shifts where they live
            for i, begin in enumerate(dates):
                end = dates[i + 1] - timedelta(days=1) if i + 1 < len(dates) else None
                if end is not None and end < begin:
                    continue
                household.spells.append((self.addresses.new_address(trouble, flat=rng.random() < flat_p), begin, end))
        for household in self.households:
            for membership in household.members:
                person = membership.person
                for address, begin, end in household.spells:
                    s = max(begin, membership.date_from, person.date_of_birth)
                    e = end if membership.date_to is None else (
                        membership.date_to if end is None else min(end, membership.date_to))
                    if e is None or e >= s:
                        person.spells.append((address, s, e))
        for person in self.people:  # a person leaving one household joins the next: order spells by start
            person.spells.sort(key=lambda spell: spell[1])

    # ---- identifiers ----------------------------------------------------------------------

    def _assign_identifiers(self) -> None:
        rng = self.rng
        for person in self.people:
            person.nhs_number = make_nhs_number(rng, self._nhs_used)
            if person.age_on(self.as_of) >= 16:
                person.ni_number = make_ni_number(rng, self._ni_used)

    # ---- school careers ---------------------------------------------------------------------

    def _school_careers(self) -> None:
        for person in self.people:
            now = self.academic_age(person)
            if now < 4 or now > 21:
                continue
            self._enrol(person, now)
        self.progress("schools", pupils=sum(1 for p in self.people if p.enrolments))

    def _phase_dates(self, person: Person, first_age: int, last_age: int) -> tuple[date, date]:
        """1 September of the year they were ``first_age``; 31 July of the year they were ``last_age``."""
        now = self.academic_age(person)
        begin = date(self.year_start.year - (now - first_age), 9, 1)
        end = date(self.year_start.year - (now - last_age) + 1, 7, 31)
        return begin, end

    def _enrol(self, person: Person, now: int) -> None:
        rng = self.rng
        retention_start = years_before(self.as_of, RETENTION_YEARS)
        horizon = self.as_of
        phases = (("primary", 4, 10), ("secondary", 11, 15))
        for phase, first, last in phases:
            if now < first:
                break
            begin, end = self._phase_dates(person, first, last)
            address, _ = person.address_at(begin)
            school = self._nearest_school(phase, address.district)
            if not person.upn:
                year = begin.year
                serial = school.upn_serials.get(year, 0) + 1
                school.upn_serials[year] = serial
                person.upn = make_upn(LA_CODE, school.establishment, year, serial % 1000)
            date_to = end if end < horizon else None
            # some pupils change school during the phase
            if rng.random() < 0.06 + 0.04 * max(person.trouble, 0.0):
                move = begin + timedelta(days=rng.randrange(200, max(201, ((date_to or horizon) - begin).days)))
                if date_to is None or move < date_to:
                    person.enrolments.append(Enrolment(school, begin, move - timedelta(days=1), next(school.admission_numbers)))
                    school = self._nearest_school(phase, person.address_at(move)[0].district)
                    begin = move
            person.enrolments.append(Enrolment(school, begin, date_to, next(school.admission_numbers)))
        person.enrolments = [e for e in person.enrolments if e.date_to is None or e.date_to >= retention_start]
        if now <= 15:
            self._sen(person)
        self._exclusions(person, now)
        if now <= 15:
            secondary = now >= 11
            person.attendance_rate = min(0.995, sigmoid(
                3.4 - 0.45 * person.trouble - 0.75 * person.disengagement - (0.35 if secondary else 0.0)
                - (0.25 if person.sen else 0.0) + rng.gauss(0, 0.25)))
            if person.attendance_rate < 0.9:
                person.flags.add("persistently-absent")

    def _sen(self, person: Person) -> None:
        rng = self.rng
        x = 0.35 * person.trouble + 0.45 * person.disengagement
        if rng.random() < sigmoid(-3.3 + x):
            status, types = "E", _EHCP_TYPES
        elif rng.random() < sigmoid(-1.95 + x):
            status, types = "K", _SEN_SUPPORT_TYPES
        else:
            return
        if person.disengagement > 1.0:
            types = tuple((t, w * 3 if t == "SEMH" else w) for t, w in types)
        sen_type = _weighted(rng, types)
        first = person.enrolments[0].date_from if person.enrolments else self.year_start
        recorded = first + timedelta(days=rng.randrange(max(1, (self.as_of - first).days)))
        # support first, then a plan, on an earlier day (one SEN record per pupil and day)
        if status == "E" and rng.random() < 0.5 and first < recorded:
            earlier = first + timedelta(days=rng.randrange(max(1, (recorded - first).days)))
            person.sen.append(("K", sen_type, earlier))
        person.sen.append((status, sen_type, recorded))
        if status == "K" and rng.random() < 0.08:  # needs met, taken off the register
            person.sen.append(("N", "", recorded + timedelta(days=rng.randrange(60, 400))))
        person.sen = [s for s in person.sen if s[2] <= self.as_of]
        person.flags.add("sen")

    def _enrolment_on(self, person: Person, day: date | None) -> Enrolment | None:
        """The school place they held on ``day`` (None on no day)."""
        if day is None:
            return None
        for enrolment in person.enrolments:
            if enrolment.date_from <= day and (enrolment.date_to is None or day <= enrolment.date_to):
                return enrolment
        return None

    def _exclusions(self, person: Person, now: int) -> None:
        """Suspensions and permanent exclusions over the last three academic years they were at school.

        A pupil's exclusions start on different days: the school's system holds one
        exclusion per pupil and start date, and the importer refuses a repeat.
        """
        rng = self.rng
        taken: set[date] = set()
        for years_ago in range(3):
            age = now - years_ago
            if age < 5 or age > 15:
                continue
            ay_start = date(self.year_start.year - years_ago, 9, 1)
            ay_days = min(300, (self.as_of - ay_start).days)
            if ay_days <= 0:
                continue
            secondary = age >= 11
            lam = math.exp(-3.7 + 0.45 * person.trouble + 0.9 * person.disengagement
                           + (0.5 if person.sex == "M" else 0.0) + (1.0 if secondary else 0.0))
            fixed = poisson(rng, lam)
            for _ in range(fixed):
                day = _free_day(rng, ay_start, ay_days, taken)
                enrolment = self._enrolment_on(person, day)
                if enrolment is not None:
                    taken.add(day)
                    person.exclusions.append(Exclusion(enrolment.school, "FIXED", day, _weighted(
                        rng, ((1, 3), (2, 4), (4, 2), (6, 1), (10, 1))), _weighted(rng, _EXCLUSION_REASONS)))
            permanent_p = sigmoid(-8.4 + 0.5 * person.trouble + 1.1 * person.disengagement + (0.9 if fixed >= 3 else 0.0)
                                  + (1.2 if secondary else 0.0))
            if rng.random() < permanent_p:
                day = _free_day(rng, ay_start, ay_days, taken)
                enrolment = self._enrolment_on(person, day)
                if enrolment is None or enrolment.school.phase == "pru":
                    continue
                taken.add(day)
                person.exclusions.append(Exclusion(enrolment.school, "PERMANENT", day, 0,
                                                   _weighted(rng, _EXCLUSION_REASONS)))
                enrolment.date_to = day
                person.flags.add("permanently-excluded")
                pru = self._nearest_school("pru", person.address_at(day)[0].district)
                end = date(ay_start.year + (15 - age) + 1, 7, 31)
                person.pru_placements.append(Enrolment(pru, day + timedelta(days=rng.randrange(3, 20)),
                                                       end if end < self.as_of else None, next(pru.admission_numbers)))
                break
        if not person.pru_placements and 11 <= now <= 15 and rng.random() < sigmoid(
                -5.6 + 0.4 * person.trouble + 1.2 * person.disengagement):
            # alternative provision for a term or two, keeping the school place (dual registration)
            start = self.year_start + timedelta(days=rng.randrange(max(1, min(250, (self.as_of - self.year_start).days))))
            end = start + timedelta(days=rng.randrange(60, 180))
            pru = self._nearest_school("pru", person.address_at(start)[0].district)
            person.pru_placements.append(Enrolment(pru, start, end if end < self.as_of else None,
                                                   next(pru.admission_numbers)))
        person.exclusions.sort(key=lambda e: e.start)
        if sum(e.kind == "FIXED" for e in person.exclusions) >= 3:
            person.flags.add("three-fixed-exclusions")
