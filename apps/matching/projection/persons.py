"""Persons and addresses: golden fields, aliases, addresses and address spells of a chunk of persons.

* **Person fields**, each chosen by one rule: among the person's records that
  carry a value, take the one from the *most trusted* dataset (lowest
  ``Dataset.trust_rank``), then the *most recent* (latest ``fact_date``, then
  latest record). Sex "U" counts as no value. Search keys are set from the chosen
  names (``names.search_key``, Metaphone via ``names.phonetic``).
* **PersonAlias**: every other name / date of birth a dataset knows the person by.
* **Address** (one per home, shared: a gazetteer UPRN when the address resolved to one,
  else the address key as sent; see ``addresses_ensure``) and **AddressHistory** (one spell
  per residence record); the current address is the latest spell's, else the most
  trusted record's address.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from apps.common.bulk import bulk_insert, bulk_update
from apps.common.dates import as_date
from apps.common.names import phonetic, search_key
from apps.gazetteer.selectors import gazetteer_children, gazetteer_entries, usable_uprns
from apps.people.models import Address, AddressHistory, Person, PersonAlias
from apps.sources.normalise import address_parse

UPRN_KEY = "UPRN "  # an Address's key when it is a gazetteer property
GOLDEN_FIELDS = ("forename", "surname", "date_of_birth", "sex", "nhs_number", "upn", "ni_number")


def addresses_ensure(records: list[dict]) -> dict[str, int]:
    """Ensure an Address per home; returns {home key: address id}, and sets each record's ``address_key`` to its home's.

    A record's home is, in order: the UPRN it was sent with, when the gazetteer has it; the UPRN its
    address resolved to (``apps.gazetteer``: resolved, or decided by the data quality officer); else
    its address as sent (the parsed key, as before a gazetteer). A home with a UPRN is one Address
    (key ``UPRN <n>``) spelt as the gazetteer spells it, so two spellings of one home are one address.
    A building sent without its flat (its UPRN is the parent of flats) becomes the flat that the
    person's other records place them in, the one recorded nearest in time; with none, it stays the building.
    """
    homes = record_homes(records)
    entries = gazetteer_entries({u for u in homes.values() if u})
    wanted: dict[str, dict] = {}
    for rec in records:
        uprn = homes.get(rec["id"], "")
        if uprn and uprn in entries:
            rec["address_key"] = f"{UPRN_KEY}{uprn}"
        key = rec["address_key"]
        if key and (key not in wanted or (rec["uprn"] and not wanted[key]["uprn"])):
            wanted[key] = rec
    existing = dict(Address.objects.filter(address_key__in=list(wanted)).values_list("address_key", "pk"))
    new = []
    for key, rec in wanted.items():
        if key in existing:
            continue
        if key.startswith(UPRN_KEY):
            entry = entries[key.removeprefix(UPRN_KEY)]
            new.append(Address(address_key=key, sub_building=entry.sub_building, building_name=entry.building_name,
                               building_number=entry.building_number, street=entry.street, locality=entry.locality,
                               town=entry.town, postcode=entry.postcode, uprn=entry.uprn))
            continue
        parts = address_parse(rec["address_line"] or "")
        new.append(
            Address(
                address_key=key,
                sub_building=parts.sub_building[:100],
                building_name=parts.building_name[:100],
                building_number=parts.building_number[:20],
                street=(parts.street or rec["address_line"] or "")[:150],
                locality=parts.locality[:100],
                town=(parts.town or "Bristol")[:100].title(),
                postcode=rec["postcode"] or "",
                uprn=rec["uprn"] or "",
            )
        )
    bulk_insert(Address, new, ignore_conflicts=True)
    if new:
        existing.update(Address.objects.filter(address_key__in=[a.address_key for a in new]).values_list("address_key", "pk"))
    return existing


def record_homes(records: list[dict]) -> dict[int, str]:
    """{record id: UPRN of its home} for the records that have one (see ``addresses_ensure``)."""
    resolved = usable_uprns({r["address_key"] for r in records if r["address_key"]})
    known = set(gazetteer_entries({r["uprn"] for r in records if r["uprn"]}))
    homes = {}
    for r in records:
        uprn = r["uprn"] if r["uprn"] in known else resolved.get(r["address_key"], "")
        if uprn:
            homes[r["id"]] = uprn
    flats_of = gazetteer_children(set(homes.values()))
    if not flats_of:
        return homes
    by_person: dict[int, list[dict]] = defaultdict(list)
    for r in records:
        if r["id"] in homes:
            by_person[r["person_id"]].append(r)
    for recs in by_person.values():
        for r in recs:
            flats = flats_of.get(homes[r["id"]])
            if not flats:
                continue
            day = r["fact_date"] or dt.date.min
            placed = [(abs(((o["fact_date"] or dt.date.min) - day).days), o["id"], homes[o["id"]])
                      for o in recs if homes[o["id"]] in flats]
            if placed:
                homes[r["id"]] = min(placed)[2]
    return homes


def persons_and_aliases(by_person: dict[int, list[dict]], addresses: dict[str, int]) -> int:
    updates, aliases = [], []
    for person_id, recs in by_person.items():
        chosen = {}
        for field in GOLDEN_FIELDS:
            chosen[field] = next((r[field] for r in recs if r[field] and r[field] != "U"), None)
        middle = next((r["middle_names"] for r in recs if r["middle_names"]), "")
        residences = sorted(
            (r for r in recs if r["kind"] == "residence" and r["address_key"]),
            key=lambda r: (r["fact_date"] or dt.date.min, -r["trust"]),
        )
        current = residences[-1] if residences else next((r for r in recs if r["address_key"]), None)
        forename, surname = chosen["forename"] or "", chosen["surname"] or ""
        updates.append(
            Person(
                pk=person_id,
                forename=forename.title(),
                middle_names=(middle or "").title()[:200],
                surname=surname.title(),
                date_of_birth=chosen["date_of_birth"],
                sex=chosen["sex"] or Person.Sex.UNKNOWN,
                nhs_number=chosen["nhs_number"] or "",
                upn=chosen["upn"] or "",
                ni_number=chosen["ni_number"] or "",
                search_forename=search_key(forename)[:100],
                search_surname=search_key(surname)[:100],
                forename_phonetic=phonetic(forename),
                surname_phonetic=phonetic(surname),
                current_address_id=addresses.get(current["address_key"]) if current else None,
            )
        )
        seen = {(forename, surname, chosen["date_of_birth"])}
        for r in recs:
            key = (r["forename"] or "", r["surname"] or "", r["date_of_birth"])
            if key in seen or not (key[0] or key[1]):
                continue
            seen.add(key)
            aliases.append(
                PersonAlias(person_id=person_id, forename=key[0].title(), surname=key[1].title(),
                            date_of_birth=key[2], dataset_id=r["dataset_id"])
            )
    bulk_update(
        Person,
        updates,
        ["forename", "middle_names", "surname", "date_of_birth", "sex", "nhs_number", "upn", "ni_number",
         "search_forename", "search_surname", "forename_phonetic", "surname_phonetic", "current_address"],
    )
    bulk_insert(PersonAlias, aliases)
    return len(aliases)


def address_history(by_person, addresses) -> tuple[int, set[int]]:
    spells = []
    for person_id, recs in by_person.items():
        for r in recs:
            if r["kind"] == "residence" and r["address_key"] in addresses:
                spells.append(
                    AddressHistory(
                        person_id=person_id, address_id=addresses[r["address_key"]], date_from=r["fact_date"],
                        date_to=as_date((r["fact"] or {}).get("date_to")), dataset_id=r["dataset_id"], source_record_id=r["id"],
                    )
                )
    bulk_insert(AddressHistory, spells)
    return len(spells), {s.address_id for s in spells}
