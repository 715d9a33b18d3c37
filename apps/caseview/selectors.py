"""Reads for the person, family and address pages, already filtered for the viewer.

Records come only from ``Person.objects.visible_to(viewer)`` / ``Family.objects.visible_to(viewer)``
(restricted records), facts only from the sections the viewer's role sees (``sections_q``), and a
family's criteria and risk scores from what the viewer may see (``apps.indicators.selectors``).
Each function issues a fixed number of queries, whatever the number of rows. Search is in ``search``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Prefetch

from apps.indicators.models import IndicatorDefinition, PersonIndicator
from apps.indicators.selectors import badges_for_persons, family_criteria_for, risk_scores_for
from apps.people.models import AddressHistory, Family, FamilyMembership, Person, PersonAlias, Relationship
from apps.people.visibility import (
    family_q,
    get_visible_or_404,
    person_q,
    persons_as_seen,
    sections_q,
    visible_dataset_ids,
)
from apps.sources.models import SourceRecord

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
    persons_as_seen(viewer, [person])
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
    headline_problems: list[tuple]  # [(FrameworkHeadline, [its needs met], "met"|"no"|"hidden"|"no-data"), ...]
    family_indicators: list[dict]  # [{"category", "indicators", "members"}, ...] from visible sections
    sees_everything: bool
    lead_professional: str  # as this reader may see it ("" when none)
    household_address: object  # the household's address, if a visible member has a visible spell there; else None
    addresses: list[AddressHistory]
    other_families: list[Family]

    @property
    def badges(self) -> list[str]:
        return self.criteria.badges if self.criteria else []

    @property
    def met_problems(self) -> list:
        return [headline for headline, _needs, state in self.headline_problems if state == "met"]

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


def _household_address(family, visible_spells) -> object:
    """The household's address, shown only where the viewer sees a member's spell at it (else "Not known")."""
    household = family.household
    if household is None or not any(spell.address_id == household.address_id for spell in visible_spells):
        return None
    return household.address


def other_families(*, viewer, family, person_ids: list[int]) -> list[Family]:
    """The other families of these members the viewer may see ("change family selection")."""
    return list(
        Family.objects.visible_to(viewer)
        .filter(memberships__person_id__in=person_ids)
        .exclude(pk=family.pk)
        .distinct()
        .order_by("reference")
    )


def framework_headlines_as_seen(*, viewer, criteria) -> list[tuple]:
    """The active framework's headlines (those of ``criteria``'s framework) with the needs met as the reader sees them.

    Each ``(headline, [needs met], state)``: ``met``; ``no``; ``hidden`` when every indicator of the headline is in
    a section the role does not see (a property of the role, not of the family); ``no-data`` when no indicator
    evidences it (the practitioner identifies it). Empty before the first refresh.
    """
    if criteria is None:
        return []
    result = []
    for headline, sections in criteria.rules.headline_sections():
        met = [n for n in criteria.needs if n.headline_id == headline.pk]
        state = "met" if met else "no" if sections & viewer.sections else "hidden" if sections else "no-data"
        result.append((headline, met, state))
    return result


def family_detail(*, viewer, pk: int) -> FamilyDetail:
    from apps.accounts.models import Section

    family = get_visible_or_404(Family.objects.visible_to(viewer).select_related("household__address"), pk=pk)
    memberships = list(
        FamilyMembership.objects.filter(person_q(viewer, via="person__"), family=family)
        .select_related("person__current_address")
        .order_by("person__date_of_birth", "person__pk")
    )
    persons_as_seen(viewer, [m.person for m in memberships])
    person_ids = [m.person_id for m in memberships]
    badges = badges_for_persons(person_ids, viewer)
    rels: dict[int, list[Relationship]] = defaultdict(list)
    for rel in Relationship.objects.filter(person_id__in=person_ids, related_person_id__in=person_ids).select_related("related_person"):
        rels[rel.person_id].append(rel)
    members = [FamilyMember(membership=m, badges=badges.get(m.person_id, []), relationships=rels[m.person_id]) for m in memberships]
    criteria = family_criteria_for(viewer=viewer, family=family)
    reasons = [r for r in criteria.reasons if "category" in r] if criteria else []
    problems = framework_headlines_as_seen(viewer=viewer, criteria=criteria)
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
    return FamilyDetail(
        family=family, members=members, criteria=criteria, headline_problems=problems, family_indicators=family_indicators,
        sees_everything=sees_everything, addresses=addresses,
        other_families=other_families(viewer=viewer, family=family, person_ids=person_ids),
        lead_professional=family_lead_professional(family=family, viewer=viewer),
        household_address=_household_address(family, addresses),
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
