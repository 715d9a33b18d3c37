"""Search: one box, read as names, dates, postcodes, addresses and references, over the people the viewer may see.

Candidates come from separate indexed lookups (no extension, no table scan), each limited to what
the viewer may see (``apps.people.visibility``): visible people, aliases, address spells, enrolments
and source records of the datasets their role sees, families they may see. They are then scored
for closeness to what was typed. A fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Q

from apps.common.names import name_variants, phonetic, search_key, similarity
from apps.indicators.models import Badge
from apps.indicators.selectors import badges_for_persons
from apps.people.models import Address, AddressHistory, Family, FamilyMembership, Person, PersonAlias
from apps.people.visibility import family_q, person_q, persons_as_seen, visible_dataset_ids
from apps.sources.models import SourceRecord

from .query import ParsedQuery

MAX_CANDIDATES = 5000
PAGE_SIZE = 20


@dataclass
class SearchHit:
    person: Person
    score: float
    badges: list[str] = field(default_factory=list)
    family: Family | None = None
    matched_alias: str = ""  # "Kerry Jones": the other name (from the aliases searched) that matched better than the record's own

    def age(self, today: date) -> int | None:
        return self.person.age_on(today)


@dataclass
class SearchResult:
    query: ParsedQuery
    hits: list[SearchHit]
    total: int
    page: int
    pages: int

    @property
    def person_ids(self) -> list[int]:
        return [hit.person.pk for hit in self.hits]


def _name_candidate_ids(names: list[str], *, people, aliases) -> set[int]:
    """Ids of people whose recorded names could be what was typed.

    Each lookup is a separate query on an indexed column (equality or prefix), so the search
    needs no PostgreSQL extension and never scans the whole table: the phonetic code or the
    first letters of the surname, nicknames of the forename, the forename/surname swapped, a
    double-barrelled surname typed in full, and the other names sources know people by
    (``PersonAlias``: a maiden name, a swapped record). ``people`` and ``aliases`` are already
    limited to what the reader may see, so a hidden person never takes a visible one's place
    under the ``MAX_CANDIDATES`` cap. Closeness is scored afterwards.
    """
    ids: set[int] = set()

    def add(queryset, field="pk"):
        ids.update(queryset.values_list(field, flat=True)[:MAX_CANDIDATES])

    if len(names) == 1:
        (n,) = names
        add(people.filter(surname_phonetic=phonetic(n)))
        add(people.filter(search_surname__startswith=n[:3]))
        add(people.filter(search_forename__in=name_variants(n)))
        add(aliases.filter(surname=n.title()), "person_id")
        return ids
    pairs = [(names[0], names[-1]), (names[-1], names[0])]  # as typed, and swapped
    if len(names) > 2:  # double-barrelled surname typed without a hyphen
        pairs.append((names[0], " ".join(names[1:])))
    for forename, surname in pairs:
        forename_q = (
            Q(search_forename__startswith=forename[:1]) | Q(search_forename__in=name_variants(forename))
            | Q(forename_phonetic=phonetic(forename))
        )
        add(people.filter(forename_q, surname_phonetic=phonetic(surname)))
        add(people.filter(forename_q, search_surname__startswith=surname[:2]))
        # a typo early in the surname ("Wtason"): the forename (or a nickname of it) exactly, the surname's initial
        add(people.filter(search_forename__in=name_variants(forename), search_surname__startswith=surname[:1]))
        add(aliases.filter(surname=surname.title(), forename__istartswith=forename[:1]), "person_id")
    return ids


def _postcode_candidate_ids(postcode: str, *, viewer) -> set[int]:
    """People with this postcode (or outward code) now, in an address spell, or on a record of a visible dataset."""
    full = " " in postcode
    lookup, value = ("postcode", postcode) if full else ("postcode__startswith", postcode + " ")
    addresses = Address.objects.filter(**{lookup: value}).values("pk")
    ids = set(AddressHistory.objects.filter(address__in=addresses, dataset_id__in=visible_dataset_ids(viewer))
               .values_list("person_id", flat=True))
    ids |= set(
        SourceRecord.objects.filter(dataset_id__in=visible_dataset_ids(viewer), person__isnull=False, **{lookup: value})
        .values_list("person_id", flat=True)
    )
    return ids


def _name_score(names: list[str], forename: str, surname: str) -> float:
    if not names:
        return 0.0
    if len(names) == 1:
        n = names[0]
        surname_parts = surname.split(" ")
        best_surname = max(similarity(n, part) for part in surname_parts + [surname])
        best_forename = max([similarity(v, forename) for v in name_variants(n)] or [0.0])
        return max(best_surname, best_forename)

    def pair_score(f: str, s: str) -> float:
        s_score = max(similarity(s, surname), max(similarity(s, part) for part in surname.split(" ")))
        f_score = max([similarity(v, forename) for v in name_variants(f)] or [0.0])
        if forename in name_variants(f) and forename != search_key(f):
            f_score = max(f_score, 0.95)  # nickname: Bill -> William
        return 0.55 * s_score + 0.45 * f_score

    scores = [pair_score(names[0], names[-1]), 0.97 * pair_score(names[-1], names[0])]
    if len(names) > 2:
        scores.append(pair_score(names[0], " ".join(names[1:])))
    return max(scores)


def _dob_score(query: ParsedQuery, dob: date | None) -> float:
    """How far a recorded date of birth supports what was typed: exact, a likely typo, the same year, or against."""
    if dob is None or not (query.dob or query.dob_year):
        return 0.0
    if query.dob:
        typed = query.dob
        if dob == typed:
            return 0.25
        if (dob.year, dob.month, dob.day) == (typed.year, typed.day, typed.month):
            return 0.15  # day and month transposed
        same_parts = (dob.year == typed.year) + (dob.month == typed.month) + (dob.day == typed.day)
        return 0.1 if same_parts == 2 else -0.15
    if dob.year != query.dob_year:
        return -0.15
    if query.dob_month:
        return 0.25 if dob.month == query.dob_month else 0.05
    return 0.2


def _age_bounds_to_dob(age_min: int, age_max: int, today: date) -> tuple[date, date]:
    earliest = date(today.year - age_max - 1, today.month, min(today.day, 28))
    latest = date(today.year - age_min, today.month, min(today.day, 28))
    return earliest, latest


def person_search(
    *, viewer, query: ParsedQuery, area: str = "", age_band: str = "", badge: str = "",
    page: int = 1, today: date | None = None,
) -> SearchResult:
    """Search people the user may see, ranked by closeness to what was typed."""
    today = today or date.today()
    qs = Person.objects.visible_to(viewer).filter(merged_into__isnull=True)
    datasets = visible_dataset_ids(viewer)  # identifiers, aliases and addresses count only from these
    exact = False
    # identifiers as the records of the datasets the viewer sees carry them (not the golden record's choice)
    for column in ("nhs_number", "upn", "ni_number"):
        if value := getattr(query, column):
            carried = SourceRecord.objects.filter(dataset_id__in=datasets, **{column: value}).values("person_id")
            found = Q(pk__in=carried)
            if column == "upn":
                found |= Q(enrolments__upn=value, enrolments__dataset_id__in=datasets)
            qs, exact = qs.filter(found), True
    if query.family_reference:
        members = FamilyMembership.objects.filter(family_q(viewer, via="family__"),
                                                  family__reference=query.family_reference)
        qs, exact = qs.filter(pk__in=members.values("person_id")), True
    if query.source_key:
        qs, exact = qs.filter(source_records__source_key=query.source_key, source_records__dataset_id__in=datasets), True
    if not query.names:  # with a name, a full date of birth ranks (it may be mistyped or missing) rather than filters
        if query.dob:
            qs = qs.filter(Q(date_of_birth=query.dob) | Q(aliases__date_of_birth=query.dob, aliases__dataset_id__in=datasets))
        elif query.dob_year:
            qs = qs.filter(date_of_birth__year=query.dob_year)
            if query.dob_month:
                qs = qs.filter(date_of_birth__month=query.dob_month)
    elif query.dob_year and not query.dob:  # "smith 2011": a known date of birth in another year is out; unknown ranks lower
        in_year = Q(date_of_birth__year=query.dob_year) & (Q(date_of_birth__month=query.dob_month) if query.dob_month else Q())
        qs = qs.filter(Q(date_of_birth__isnull=True) | in_year)
    if query.age_min is not None:
        earliest, latest = _age_bounds_to_dob(query.age_min, query.age_max, today)
        qs = qs.filter(date_of_birth__gt=earliest, date_of_birth__lte=latest)
    if query.postcode:
        qs = qs.filter(pk__anyof=_postcode_candidate_ids(query.postcode, viewer=viewer))
    if query.address_words:
        words = query.address_words.split()
        number = words[0] if words and words[0][0].isdigit() else ""
        street = " ".join(w for w in words if not w[0].isdigit())
        street_key = street.replace(" STREET", "").replace(" ST", "").replace(" ROAD", "").replace(" RD", "").strip()
        addr_q = Q(address_history__address__street__icontains=street_key, address_history__dataset_id__in=datasets)
        if number:
            addr_q &= Q(address_history__address__building_number__iexact=number)
        qs = qs.filter(addr_q)
    if query.names:
        aliases = PersonAlias.objects.filter(person_q(viewer, via="person__"), dataset_id__in=datasets)
        qs = qs.filter(pk__anyof=_name_candidate_ids(query.names, people=Person.objects.visible_to(viewer), aliases=aliases))
    if area:
        # the current address's area, where the viewer sees a spell at that address
        qs = qs.filter(current_address__area=area, address_history__address_id=F("current_address_id"),
                       address_history__dataset_id__in=datasets)
    if age_band:
        low, _, high = age_band.partition("-")
        earliest, latest = _age_bounds_to_dob(int(low), int(high or 120), today)
        qs = qs.filter(date_of_birth__gt=earliest, date_of_birth__lte=latest)
    if badge and badge in {code for code in Badge.objects.filter(categories__section__code__in=viewer.sections).values_list("code", flat=True)}:
        qs = qs.filter(
            indicators__definition__category__badge__code=badge,
            indicators__definition__category__section__code__in=viewer.sections,
        )

    candidates = list(
        qs.values_list("pk", "search_forename", "search_surname", "date_of_birth").distinct()[:MAX_CANDIDATES]
    )
    alias_names: dict[int, list[tuple[str, str, date | None, str]]] = defaultdict(list)
    if query.names:
        aliases = PersonAlias.objects.filter(person_id__anyof=[c[0] for c in candidates], dataset_id__in=datasets)
        for pid, forename, surname, dob in aliases.values_list("person_id", "forename", "surname", "date_of_birth"):
            alias_names[pid].append((search_key(forename), search_key(surname), dob, f"{forename} {surname}"))
    scored = []
    for pk, forename, surname, dob in candidates:
        score, matched_alias = (1.0 if exact else 0.0), ""
        if query.names:
            known = [(forename, surname, dob, ""), *alias_names.get(pk, ())]
            name_scores = [(_name_score(query.names, f, s), label) for f, s, _, label in known]
            score = max(n for n, _ in name_scores)
            if name_scores[0][0] < score:  # found through another name, not the record's own
                matched_alias = next(label for n, label in name_scores if n == score)
            if score < 0.75:
                continue
            score += max(_dob_score(query, d) for _, _, d, _ in known)
        elif query.dob and dob == query.dob:
            score += 0.2
        scored.append((score, surname, forename, pk, matched_alias))
    scored.sort(key=lambda row: (-row[0], row[1], row[2], row[3]))
    total = len(scored)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    window = scored[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    ids = [row[3] for row in window]
    persons = Person.objects.select_related("current_address").in_bulk(ids)
    persons_as_seen(viewer, list(persons.values()))
    badges = badges_for_persons(ids, viewer)
    families = current_family_by_person(ids, viewer=viewer)
    hits = [
        SearchHit(person=persons[pk], score=round(score, 3), badges=badges.get(pk, []), family=families.get(pk),
                  matched_alias=matched_alias)
        for score, _, _, pk, matched_alias in window
    ]
    return SearchResult(query=query, hits=hits, total=total, page=page, pages=pages)


def current_family_by_person(person_ids, *, viewer) -> dict[int, Family]:
    """Each person's current (latest, open-ended first) family that the user may see."""
    memberships = (
        FamilyMembership.objects.filter(family_q(viewer, via="family__"), person_id__in=list(person_ids))
        .select_related("family")
        # open-ended first (on every database: SQLite sorts NULL last when descending), then the latest
        .order_by("person_id", F("date_to").desc(nulls_first=True), F("date_from").desc(nulls_last=True))
    )
    result: dict[int, Family] = {}
    for m in memberships:
        result.setdefault(m.person_id, m.family)
    return result
