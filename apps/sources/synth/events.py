"""Events for every event_type in the catalogue, drawn from the latent trouble scores.

Each rule gives an intercept and loadings on the household's trouble and the
person's own score, so one troubled household collects crime, school,
social-care, income, domestic-abuse and health events together. Rates are per
person (or household) over the three years before the extract date.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from apps.common.dates import add_years

from .population import Household, Person, Population, poisson, sigmoid


@dataclass(frozen=True, slots=True)
class Event:
    day: date
    person: Person
    event_type: str
    extra: tuple = ()  # further fact columns (activity, lead_professional, closed_on): text, a date, or None (empty)
    incident: str = ""  # rows of one incident share a reference


_ESTABLISHMENTS = ("HMP Bristol", "HMP Eastwood Park", "HMP Erlestoke", "HMP Guys Marsh", "HMP Leyhill",
                   "HMP Channings Wood", "HMYOI Parc")
_TEAMS = ("Families in Focus", "Early Help", "School Nursing", "Youth Service", "Children's Centre", "Housing Support")


class EventBuilder:
    """Fills ``events[dataset_code]`` and ``custody`` from a built ``Population``."""

    def __init__(self, population: Population):
        self.pop = population
        self.rng = random.Random(f"{population.rng.random()}:events")
        self.events: dict[str, list[Event]] = defaultdict(list)
        self.custody: list[tuple[Person, date, date, str]] = []
        self._incidents = 0
        self._parent_household = {
            m.person.index: h for h in population.households for m in h.members if m.role == "parent"
        }
        self._professionals = [f"{population.faker.first_name()} {population.faker.last_name()}" for _ in range(
            max(10, len(population.households) // 150))]

    # ---- helpers ------------------------------------------------------------------------

    def _day(self, person: Person | None = None, min_age: int = 0, max_age: int = 120) -> date | None:
        """A day in the event window when the person was between the ages given."""
        start, end = self.pop.window_start, self.pop.as_of
        if person is not None:
            dob = person.date_of_birth
            start = max(start, add_years(dob, min_age), dob)
            end = min(end, add_years(dob, max_age + 1) - timedelta(days=1))
        if end < start:
            return None
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def _add(self, dataset: str, person: Person, event_type: str, day: date, extra: tuple = (),
             incident: str = "") -> None:
        self.events[dataset].append(Event(day, person, event_type, extra, incident))
        person.flags.add(event_type)

    def _repeat(self, dataset: str, person: Person, event_type: str, extra_rate: float, min_age: int = 0,
                max_age: int = 120) -> bool:
        added = False
        for _ in range(1 + poisson(self.rng, extra_rate)):
            day = self._day(person, min_age, max_age)
            if day is not None:
                self._add(dataset, person, event_type, day)
                added = True
        return added

    # ---- rules ----------------------------------------------------------------------------

    def build(self) -> EventBuilder:
        pop = self.pop
        for household in pop.households:
            self._household_rules(household)
        for person in pop.people:
            self._person_rules(person)
        self._at_least_one_row()
        for household in pop.households:
            self._early_help(household)
        for events in self.events.values():
            events.sort(key=lambda e: (e.day, e.person.index, e.event_type))
        self.custody.sort(key=lambda c: (c[1], c[0].index))
        return self

    def _at_least_one_row(self) -> None:
        """Custody, a county-lines link and the benefit cap for the likeliest person when the draws gave none.

        All three are rare enough that a small population (``--scale small``) can draw
        no one for some seeds, and the importer refuses a file with no rows.
        """
        as_of = self.pop.as_of
        if not self.custody:
            offenders = [p for p in self.pop.people if "person-committed-offence" in p.flags and p.age_on(as_of) >= 18]
            for person in sorted(offenders, key=lambda p: (-p.trouble, p.index)):
                start = self._day(person, 18)
                if start is not None:
                    self._custody(person, start)
                    break
        if not any(e.event_type == "county-lines-link" for e in self.events["asc-exploitation-flags"]):
            exploited = [p for p in self.pop.people if "cce-flag" in p.flags]
            for person in sorted(exploited, key=lambda p: (-p.trouble, p.index)):
                if self._repeat("asc-exploitation-flags", person, "county-lines-link", 0.0, 11, 17):
                    break
        if not self.events["bcc-benefit-cap"]:
            workless = [h for h in self.pop.households if h.workless and h.adults(as_of)]
            if workless:
                household = max(workless, key=lambda h: (
                    sum(p.age_on(as_of) < 18 for p in h.current_members()), h.trouble))
                self._add("bcc-benefit-cap", household.adults(as_of)[0], "adult-benefit-cap", self._day())

    def _custody(self, person: Person, start: date) -> None:
        release = start + timedelta(days=self.rng.randrange(90, 1500))
        self.custody.append((person, start, release, self.rng.choice(_ESTABLISHMENTS)))
        person.flags.add("custody")

    def _household_rules(self, household: Household) -> None:
        rng, pop = self.rng, self.pop
        z = household.trouble
        members = household.current_members()
        adults = household.adults(pop.as_of)
        children = [p for p in members if p.age_on(pop.as_of) < 18]
        # domestic abuse: one incident names victim, perpetrator and the children present
        if adults and rng.random() < sigmoid(-3.4 + 1.2 * z):
            victim = next((a for a in adults if a.sex == "F"), adults[0])
            perpetrator = next((a for a in adults if a is not victim and a.sex == "M"), None)
            if perpetrator is None:
                perpetrator = next((m.person for m in household.members if m.date_to is not None), None)
            for _ in range(1 + poisson(rng, 0.6 + 0.4 * max(z, 0.0))):
                day = self._day()
                self._incidents += 1
                incident = f"{self._incidents:06d}"
                self._add("asc-domestic-abuse", victim, "victim-of-dva", day, incident=incident)
                if perpetrator is not None:
                    self._add("asc-domestic-abuse", perpetrator, "perpetrator-of-dva", day, incident=incident)
                for child in children:
                    if child.date_of_birth < day and rng.random() < 0.7:
                        self._add("asc-domestic-abuse", child, "involved-in-domestic-incident", day, incident=incident)
        # open to Families in Focus or social care: the whole household
        if children and rng.random() < sigmoid(-3.6 + 1.5 * z):
            day = self._day()
            for person in members:
                self._add("bcc-social-care", person, "open-to-families-in-focus-or-social-care", day)
        if adults and rng.random() < sigmoid(-4.2 + 1.0 * z):
            day = self._day()
            for adult in adults:
                self._add("bcc-homeless-prevention", adult, "accessed-homeless-prevention-support", day)
        if household.workless:
            day = self._day()
            for adult in adults[:2]:
                self._add("dwp-out-of-work-benefits", adult, "out-of-work-benefits", day)
                if len(children) >= 3 and rng.random() < 0.5:
                    self._add("bcc-benefit-cap", adult, "adult-benefit-cap", self._day())
        if household.council_tenant and adults and rng.random() < sigmoid(-2.2 + 1.0 * z):
            for _ in range(1 + poisson(rng, 0.5)):
                day = self._day()
                for adult in adults[:2]:
                    self._add("bcc-rent-arrears", adult, "person-in-rent-arrears", day)
        for child in children:
            if child.enrolments and (household.workless and rng.random() < 0.95 or
                                     household.low_income and rng.random() < 0.4):
                start = max(child.enrolments[0].date_from, pop.window_start)
                if start <= pop.as_of:
                    self._add("dfe-free-school-meals", child, "child-free-school-meals", start)

    def _person_rules(self, p: Person) -> None:
        rng, pop = self.rng, self.pop
        age = p.age_on(pop.as_of)
        z = p.trouble
        male = 1.0 if p.sex == "M" else 0.0
        young = 0.6 if 13 <= age <= 25 else 0.0
        own = p.disengagement if age < 22 else 0.0
        if age >= 10:
            if rng.random() < sigmoid(-4.4 + 1.0 * z + 0.6 * own + 0.8 * male + young):
                self._repeat("asc-asb-incidents", p, "person-committed-asb", 0.8, min_age=10)
                if rng.random() < 0.45:
                    self._repeat("bcc-asb-cases", p, "person-committed-asb", 0.2, min_age=10)
                if rng.random() < 0.3:
                    self._repeat("asc-asb-team-subjects", p, "subject-managed-by-asb-team", 0.0, min_age=10)
            if rng.random() < sigmoid(-4.7 + 1.0 * z + 0.6 * own + 1.0 * male + young):
                self._repeat("asc-offenders", p, "person-committed-offence", 0.7, min_age=10)
                if age <= 20 and rng.random() < 0.6:
                    if self._repeat("asc-youth-outcomes", p, "youth-caution-or-restorative-justice", 0.2, 10, 17):
                        self._repeat("bcc-youth-offending", p, "youth-caution-or-restorative-justice", 0.0, 10, 17)
                    self._repeat("bcc-youth-offending", p, "person-committed-offence", 0.3, 10, 17)
                if age >= 18 and rng.random() < 0.2:
                    self._repeat("asc-orders-breaches", p, "breach-of-order-or-injunction", 0.3, min_age=18)
                if age >= 18 and rng.random() < 0.12:
                    start = self._day(p, 18)
                    if start is not None:
                        self._custody(p, start)
        if age >= 14 and rng.random() < sigmoid(-4.6 + 0.9 * z + 0.5 * own + 0.4 * male):
            self._repeat("asc-drugs-alcohol", p, "drugs-and-alcohol-incident", 0.5, min_age=14)
            if rng.random() < 0.4:
                self._repeat("bcc-substance-support", p, "accessed-drug-or-alcohol-support", 0.0, min_age=14)
        elif age >= 18 and rng.random() < sigmoid(-6.0 + 0.8 * z):
            self._repeat("bcc-substance-support", p, "accessed-drug-or-alcohol-support", 0.0, min_age=18)
        if age >= 11 and rng.random() < sigmoid(-3.7 + 0.6 * z + 0.5 * own + 0.2 * (1 - male)):
            self._repeat("bcc-mental-health", p, "mental-health-concern", 0.3, min_age=11)
        missing = False
        if 10 <= age <= 20 and rng.random() < sigmoid(-4.8 + 1.1 * z + 1.0 * own):
            missing = self._repeat("asc-missing-persons", p, "person-reported-missing", 1.5, 10, 17)
        elif age >= 18 and rng.random() < sigmoid(-7.5 + 0.8 * z):
            missing = self._repeat("asc-missing-persons", p, "person-reported-missing", 0.2, min_age=18)
        if 11 <= age <= 20:
            x = -6.0 + 0.7 * z + 1.0 * own + (2.0 if missing else 0.0) + (
                1.5 if "person-committed-offence" in p.flags else 0.0)
            if rng.random() < sigmoid(x):
                kind = "cse-flag" if rng.random() < (0.7 if not male else 0.25) else "cce-flag"
                self._repeat("asc-exploitation-flags", p, kind, 0.0, 11, 17)
                if kind == "cce-flag" and rng.random() < 0.4:
                    self._repeat("asc-exploitation-flags", p, "county-lines-link", 0.0, 11, 17)
        if age < 18:
            if rng.random() < sigmoid(-4.1 + 1.3 * z + 0.5 * own):
                self._repeat("bcc-children-in-need", p, "child-in-need", 0.2)
                if rng.random() < 0.3 + (0.2 if "involved-in-domestic-incident" in p.flags else 0.0):
                    self._repeat("bcc-child-protection", p, "child-protection-plan", 0.0)
            if rng.random() < sigmoid(-6.3 + 1.4 * z + 0.6 * own):
                self._repeat("bcc-looked-after", p, "child-looked-after", 0.1)
        if "teenage-parent" in p.flags:
            for child in self._children_of(p):
                if child.date_of_birth >= pop.window_start and (child.date_of_birth - p.date_of_birth).days < 20 * 365.25:
                    self._add("bcc-maternity-births", p, "birth-of-child", child.date_of_birth)
        for academic_age, activity in sorted(p.activity.items()):
            day = self._activity_day(p, academic_age)
            if rng.random() < 0.04:
                activity = "NOT-KNOWN"
            self._add("bcc-neet-tracking", p, "neet-status", day, extra=(activity,))

    def _children_of(self, parent: Person) -> list[Person]:
        household = self._parent_household.get(parent.index)
        if household is None:
            return []
        return [m.person for m in household.members if m.role == "child"]

    def _activity_day(self, person: Person, academic_age: int) -> date:
        """The December to February census point of the academic year they were that age."""
        year = self.pop.year_start.year - (self.pop.academic_age(person) - academic_age)
        day = date(year, 12, 1) + timedelta(days=self.rng.randrange(90))
        return min(day, self.pop.as_of)

    def _early_help(self, household: Household) -> None:
        """Referrals where problems show, and an episode with a lead professional for households with two or more."""
        rng = self.rng
        problems = set()
        members = [m.person for m in household.members]
        for person in members:
            flags = person.flags
            if flags & {"person-committed-offence", "person-committed-asb", "youth-caution-or-restorative-justice"}:
                problems.add("crime")
                if rng.random() < 0.15:
                    self._referral(person, "ehm-referral-crime")
            if flags & {"persistently-absent", "three-fixed-exclusions", "permanently-excluded"}:
                problems.add("school")
                if rng.random() < 0.12:
                    self._referral(person, "ehm-referral-school")
            if flags & {"child-in-need", "child-protection-plan", "child-looked-after",
                        "open-to-families-in-focus-or-social-care"}:
                problems.add("support")
                if rng.random() < 0.1:
                    self._referral(person, "ehm-referral-service")
            if flags & {"out-of-work-benefits", "person-in-rent-arrears", "adult-benefit-cap"}:
                problems.add("income")
                if rng.random() < 0.05:
                    self._referral(person, "ehm-referral-financial")
            if flags & {"victim-of-dva", "perpetrator-of-dva", "involved-in-domestic-incident"}:
                problems.add("domestic-abuse")
                if rng.random() < 0.2:
                    self._referral(person, "ehm-referral-domestic-abuse")
            if flags & {"mental-health-concern", "drugs-and-alcohol-incident", "accessed-drug-or-alcohol-support",
                        "teenage-parent"}:
                problems.add("health")
                if rng.random() < 0.12:
                    self._referral(person, "ehm-referral-health")
        if len(problems) >= 2 and household.is_family and rng.random() < 0.5:
            day = self._day()
            lead = f"{rng.choice(self._professionals)} ({rng.choice(_TEAMS)})"
            # an episode lasts three to eighteen months; one still running on the extract date is open (no closed_on)
            closed = day + timedelta(days=rng.randint(90, 540))
            closed_on = closed if closed <= self.pop.as_of else None
            for person in household.current_members():
                self._add("ehm-episodes", person, "early-help-episode", day, extra=(lead, closed_on))

    def _referral(self, person: Person, event_type: str) -> None:
        day = self._day(person)
        if day is not None:
            self._add("ehm-referrals", person, event_type, day)
