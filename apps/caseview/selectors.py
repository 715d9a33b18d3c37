"""Reads for the case-worker pages, already filtered for the user.

Records come only from ``visible_persons`` / ``visible_families`` (restricted
records), and facts only from the sections the role in use may see
(``sections_q``). Each function issues a fixed number of queries, whatever the
number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Max, Prefetch, Q

from apps.common.names import name_variants, phonetic, search_key, similarity
from apps.indicators.models import Badge, IndicatorDefinition, PersonIndicator
from apps.indicators.selectors import badges_for_persons, family_criteria_for, risk_scores_for
from apps.sources.models import SourceRecord

from apps.people.models import Address, AddressHistory, Family, FamilyMembership, Person, PersonAlias, Relationship
from apps.people.visibility import family_q, get_visible_or_404, person_q, sections_q, visible_dataset_ids

from .query import ParsedQuery

MAX_CANDIDATES = 5000
PAGE_SIZE = 20


# --- search ------------------------------------------------------------------------


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
    ids = set(Person.objects.filter(current_address__in=addresses).values_list("pk", flat=True))
    ids |= set(AddressHistory.objects.filter(address__in=addresses, dataset_id__in=visible_dataset_ids(viewer))
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
    if query.nhs_number:
        qs, exact = qs.filter(nhs_number=query.nhs_number), True
    if query.upn:
        qs, exact = qs.filter(Q(upn=query.upn) | Q(enrolments__upn=query.upn, enrolments__dataset_id__in=datasets)), True
    if query.ni_number:
        qs, exact = qs.filter(ni_number=query.ni_number), True
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
        qs = qs.filter(current_address__area=area)
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
        .order_by("person_id", "-date_to", "-date_from")
    )
    result: dict[int, Family] = {}
    for m in memberships:
        if m.person_id not in result or m.date_to is None:
            result.setdefault(m.person_id, m.family)
    return result


# --- person ------------------------------------------------------------------------


@dataclass
class PersonDetail:
    person: Person
    aliases: list[PersonAlias]
    indicators_by_category: list[tuple]  # [(category, [PersonIndicator, ...]), ...]
    risk_scores: list[PersonIndicator]
    memberships: list[FamilyMembership]
    relationships: list[Relationship]
    provenance: list[SourceRecord]
    badges: list[str]
    last_updated: dict[str, object]


def person_detail(*, viewer, pk: int) -> PersonDetail:

    person = get_visible_or_404(Person.objects.visible_to(viewer).select_related("current_address"), pk=pk)
    indicators = list(
        PersonIndicator.objects.filter(person=person)
        .filter(sections_q(viewer, path="definition__category__section__code"))
        .exclude(definition__kind=IndicatorDefinition.Kind.RISK)
        .select_related("definition__category__badge", "dataset")
        .prefetch_related(Prefetch("source_records", queryset=SourceRecord.objects.only("pk", "source_key", "dataset_id")))
        .order_by("definition__category__order", "definition__order", "-indicator_date")
    )
    grouped: dict = {}
    for ind in indicators:
        grouped.setdefault(ind.definition.category, []).append(ind)
    risk = risk_scores_for(viewer=viewer, person_ids=[person.pk])
    visible_datasets = visible_dataset_ids(viewer)
    provenance = list(
        SourceRecord.objects.filter(person=person, dataset_id__in=visible_datasets)
        .select_related("dataset__provider", "batch")
        .only(
            "pk", "source_key", "match_probability", "forename", "surname", "date_of_birth", "postcode",
            "dataset__name", "dataset__code", "dataset__validated", "dataset__provider__code",
            "batch__finished_at", "batch__created_at",
        )
        .order_by("dataset__code", "source_key")
    )
    last_updated = dict(
        SourceRecord.objects.filter(person=person, dataset_id__in=visible_datasets)
        .values_list("dataset__section__code")
        .annotate(last=Max("batch__finished_at"))
    )
    aliases = list(
        PersonAlias.objects.filter(person=person, dataset_id__in=visible_datasets)
        .select_related("dataset")
        .order_by("surname", "forename")
    )
    memberships = list(
        FamilyMembership.objects.filter(family_q(viewer, via="family__"), person=person)
        .select_related("family")
        .order_by("-date_from")
    )
    relationships = list(
        Relationship.objects.filter(person_q(viewer, via="related_person__"), person=person)
        .select_related("related_person")
        .order_by("kind")
    )
    return PersonDetail(
        person=person, aliases=aliases, indicators_by_category=list(grouped.items()), risk_scores=risk,
        memberships=memberships, relationships=relationships, provenance=provenance,
        badges=badges_for_persons([person.pk], viewer).get(person.pk, []), last_updated=last_updated,
    )


def person_address_history(*, viewer, person: Person) -> list[AddressHistory]:
    return list(
        AddressHistory.objects.filter(person=person, dataset_id__in=visible_dataset_ids(viewer))
        .select_related("address", "dataset")
        .order_by("-date_from", "dataset__code")
    )


# --- family ------------------------------------------------------------------------


@dataclass
class FamilyMember:
    membership: FamilyMembership
    badges: list[str]
    relationships: list[Relationship]


@dataclass
class FamilyDetail:
    family: Family
    members: list[FamilyMember]
    criteria: object  # apps.indicators.selectors.FamilyCriteriaView, or None before the first refresh
    headline_problems: list[tuple]  # [(HeadlineProblem, [badge codes that meet it]), ...] from visible sections
    family_indicators: list[dict]  # [{"category", "indicators", "members"}, ...] from visible sections
    sees_everything: bool
    lead_professional: str  # as this reader may see it ("" when none)
    addresses: list[AddressHistory]
    other_families: list[Family]

    @property
    def badges(self) -> list[str]:
        return self.criteria.badges if self.criteria else []

    @property
    def met_problems(self) -> list:
        return [problem for problem, met in self.headline_problems if met]

    @property
    def distinct_addresses(self) -> list:
        seen, result = set(), []
        for spell in self.addresses:
            if spell.address_id not in seen:
                seen.add(spell.address_id)
                result.append(spell.address)
        return result


def family_lead_professional(*, viewer, family) -> str:
    """The lead professional a reader may see for ``family``: "" when none (pages say "None assigned").

    Projection keeps every open early-help episode of the family's members in
    ``Family.lead_professionals``, most recent first. The reader gets the first
    one whose section (the early-help dataset's) their role sees and whose person
    they may see (a restricted member's episode only for users named on them or
    who broke the glass), so the answer is the one they would get if what they
    may not see did not exist.
    """
    entries = [e for e in family.lead_professionals or () if viewer.sees(e.get("section"))]
    if not entries:
        return ""
    visible = set(
        Person.objects.visible_to(viewer).filter(pk__in={e["person"] for e in entries}).values_list("pk", flat=True)
    )
    return next((e["name"] for e in entries if e["person"] in visible), "")


def family_detail(*, viewer, pk: int) -> FamilyDetail:
    from apps.accounts.models import Section
    from apps.indicators.models import HeadlineProblem

    family = get_visible_or_404(Family.objects.visible_to(viewer).select_related("household__address"), pk=pk)
    memberships = list(
        FamilyMembership.objects.filter(person_q(viewer, via="person__"), family=family)
        .select_related("person")
        .order_by("person__date_of_birth", "person__pk")
    )
    person_ids = [m.person_id for m in memberships]
    badges = badges_for_persons(person_ids, viewer)
    rels: dict[int, list[Relationship]] = defaultdict(list)
    for rel in Relationship.objects.filter(person_id__in=person_ids, related_person_id__in=person_ids).select_related("related_person"):
        rels[rel.person_id].append(rel)
    members = [FamilyMember(membership=m, badges=badges.get(m.person_id, []), relationships=rels[m.person_id]) for m in memberships]
    criteria = family_criteria_for(viewer=viewer, family=family)
    reasons = [r for r in criteria.reasons if "category" in r] if criteria else []
    met_badges: dict[str, list[str]] = defaultdict(list)
    for reason in reasons:
        if reason["badge"] not in met_badges[reason["problem"]]:
            met_badges[reason["problem"]].append(reason["badge"])
    problems = [(problem, met_badges.get(problem.code, [])) for problem in HeadlineProblem.objects.all()]
    names = dict(IndicatorDefinition.objects.values_list("code", "name"))
    categories = dict(IndicatorDefinition.objects.values_list("category__code", "category__name"))
    people_by_id = {m.person_id: m.person for m in memberships}
    family_indicators = [
        {
            "category": categories.get(r["category"], r["category"]),
            "badge": r["badge"],
            "indicators": sorted({names.get(code, code) for code in r["indicators"]}),
            "members": [people_by_id[pid] for pid in r["person_ids"] if pid in people_by_id],
        }
        for r in reasons
    ]
    sees_everything = viewer.sections >= set(Section.objects.values_list("code", flat=True))
    addresses = list(
        AddressHistory.objects.filter(person_id__in=person_ids, dataset_id__in=visible_dataset_ids(viewer))
        .select_related("address", "dataset", "person")
        .order_by("-date_from")
    )
    other_families = list(
        Family.objects.visible_to(viewer)
        .filter(memberships__person_id__in=person_ids)
        .exclude(pk=family.pk)
        .distinct()
        .order_by("reference")
    )
    return FamilyDetail(
        family=family, members=members, criteria=criteria, headline_problems=problems, family_indicators=family_indicators,
        sees_everything=sees_everything, addresses=addresses, other_families=other_families,
        lead_professional=family_lead_professional(family=family, viewer=viewer),
    )


# --- address timeline ----------------------------------------------------------------


@dataclass
class TimelineEntry:
    spell: AddressHistory
    overlaps: list[AddressHistory]  # spells of the same person, from other sources, at other addresses, at the same time


def address_timeline(spells: list[AddressHistory]) -> list[TimelineEntry]:
    """Spells newest first, each with the spells it overlaps from a different source at a different address."""
    far_future = date.max
    far_past = date.min
    entries = []
    for spell in spells:
        start, end = spell.date_from or far_past, spell.date_to or far_future
        overlaps = [
            other for other in spells
            if other is not spell
            and other.person_id == spell.person_id
            and other.address_id != spell.address_id
            and other.dataset_id != spell.dataset_id
            and (other.date_from or far_past) <= end
            and start <= (other.date_to or far_future)
        ]
        entries.append(TimelineEntry(spell=spell, overlaps=overlaps))
    return entries
