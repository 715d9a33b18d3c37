"""Bristol-style geography: postcode districts, the three council areas, streets and addresses.

Addresses follow BS7666 in spirit: a secondary addressable object (``Flat 4A``),
a primary one (building name and/or number), street, locality, town, postcode,
and a 12-digit UPRN. They are made lazily, when a household needs one, so a
run only creates the addresses it uses.

``AddressBook.gazetteer_rows`` then writes the city's gazetteer (LLPG) as a council holds it:
every address made, plus what a real street also has: the houses nobody in the population
lives in, the other flats of a converted house or block, and an entry of its own for each
building that has flats (its ``parent_uprn``), so "10 Murphy Avenue" sent without its flat
still names a real property.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from faker import Faker

# district -> (area, localities, share of households, deprivation: shifts household trouble)
DISTRICTS: dict[str, tuple[str, tuple[str, ...], float, float]] = {
    "BS1": ("East Central", ("Redcliffe", "Broadmead", "Harbourside"), 0.03, 0.2),
    "BS2": ("East Central", ("St Pauls", "St Werburghs", "Kingsdown"), 0.05, 0.8),
    "BS3": ("South", ("Bedminster", "Southville", "Windmill Hill"), 0.08, 0.1),
    "BS4": ("South", ("Knowle", "Knowle West", "Brislington", "Totterdown"), 0.10, 0.6),
    "BS5": ("East Central", ("Easton", "St George", "Whitehall", "Redfield"), 0.11, 0.6),
    "BS6": ("North", ("Redland", "Cotham", "St Andrews"), 0.05, -0.6),
    "BS7": ("North", ("Horfield", "Bishopston", "Lockleaze"), 0.09, -0.1),
    "BS8": ("East Central", ("Clifton", "Hotwells", "Cliftonwood"), 0.04, -0.7),
    "BS9": ("North", ("Henleaze", "Westbury-on-Trym", "Sea Mills"), 0.05, -0.5),
    "BS10": ("North", ("Southmead", "Brentry", "Henbury"), 0.07, 0.7),
    "BS11": ("North", ("Avonmouth", "Shirehampton", "Lawrence Weston"), 0.05, 0.8),
    "BS13": ("South", ("Hartcliffe", "Withywood", "Bishopsworth"), 0.07, 1.0),
    "BS14": ("South", ("Stockwood", "Whitchurch", "Hengrove"), 0.06, 0.3),
    "BS15": ("East Central", ("Kingswood", "Hanham"), 0.04, 0.0),
    "BS16": ("East Central", ("Fishponds", "Stapleton", "Eastville"), 0.11, 0.2),
}
TOWN = "Bristol"

_STREET_TYPES = ("Road", "Street", "Avenue", "Close", "Lane", "Grove", "Crescent", "Drive", "Way", "Place",
                 "Gardens", "Terrace", "Walk", "Hill", "Park")
_STREET_WORDS = ("Church", "Station", "Mill", "Victoria", "Gloucester", "Cheltenham", "Stapleton", "Filton",
                 "Wells", "Bath", "Ashley", "Chelsea", "Fishponds", "Coronation", "Queens", "Kings", "Park",
                 "Court", "Orchard", "Brook", "Elm", "Oak", "Beech", "Ash", "Hazel", "Meadow", "Quarry",
                 "Whiteladies", "Stokes Croft", "Mina", "Mivart", "Belmont", "Albany", "Richmond", "Windsor")
_BLOCK_WORDS = ("Kestrel", "Heron", "Falcon", "Merlin", "Raven", "Swift", "Linnet", "Wren", "Rowan", "Cedar",
                "Willow", "Laurel", "Avon", "Severn", "Frome", "Brunel", "Colston", "Cabot")
_BLOCK_TYPES = ("House", "Court", "Tower", "Lodge", "Point")
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # inward-code letters never use C I K M O V
GAZETTEER_COLUMNS = ("uprn", "parent_uprn", "sub_building", "building_name", "building_number", "street", "locality",
                     "town", "postcode", "easting", "northing")
_FLAT_LABELS = ("1", "2", "3", "4", "5", "1A", "1B", "2A", "2B", "3A", "3B", "4A", "4B", "5A", "5B")
_EXTRA_UPRNS_FROM = 10**11  # made addresses' UPRNs stay below 9 * 10**10


@dataclass(slots=True)
class Address:
    uprn: str
    sub_building: str  # "Flat 4A" or ""
    building_name: str  # "Kestrel House" or ""
    number: str  # "12" or ""
    street: str
    locality: str
    postcode: str
    area: str
    deprivation: float

    @property
    def district(self) -> str:
        return self.postcode.split(" ", 1)[0]

    def parts(self) -> list[str]:
        """BS7666 order: sub-building, building, number and street, locality, town."""
        street_line = f"{self.number} {self.street}" if self.number else self.street
        return [p for p in (self.sub_building, self.building_name, street_line, self.locality, TOWN) if p]

    def line(self) -> str:
        return ", ".join(self.parts())


@dataclass(slots=True)
class _Street:
    name: str
    district: str
    locality: str
    postcodes: tuple[str, ...]
    block: str  # a block of flats on this street, or ""
    numbers_used: int = 0


class AddressBook:
    """Makes addresses on demand, weighted by district share and (for troubled households) deprivation."""

    def __init__(self, rng: random.Random, faker: Faker, *, households: int):
        self._rng = rng
        self._districts = tuple(DISTRICTS)
        streets_per_district = max(4, households // 150)
        surnames = [faker.last_name() for _ in range(600)]
        self._streets: dict[str, list[_Street]] = {}
        for district in self._districts:
            _, localities, _, _ = DISTRICTS[district]
            streets = []
            seen: set[str] = set()  # a name is unique within a district; Bristol has many a Church Road
            while len(streets) < streets_per_district:
                word = rng.choice(surnames) if rng.random() < 0.6 else rng.choice(_STREET_WORDS)
                name = f"{word} {rng.choice(_STREET_TYPES)}"
                if name in seen:
                    continue
                seen.add(name)
                sector = rng.randrange(1, 10)
                postcodes = tuple(
                    f"{district} {sector}{rng.choice(_UNIT_LETTERS)}{rng.choice(_UNIT_LETTERS)}"
                    for _ in range(rng.randrange(1, 4))
                )
                block = f"{rng.choice(_BLOCK_WORDS)} {rng.choice(_BLOCK_TYPES)}" if rng.random() < 0.25 else ""
                streets.append(_Street(name, district, rng.choice(localities), postcodes, block))
            self._streets[district] = streets
        self._uprn = itertools.count(rng.randrange(10_000_000, 90_000_000) * 1000)
        self._made: list[tuple[Address, _Street]] = []  # for the gazetteer; drawing it takes nothing from rng

    def _district_weights(self, trouble: float) -> tuple[float, ...]:
        """Troubled households live more often in the more deprived districts."""
        return tuple(itertools.accumulate(
            DISTRICTS[d][2] * (2.718281828 ** (0.9 * DISTRICTS[d][3] * trouble)) for d in self._districts
        ))

    def new_address(self, trouble: float, *, flat: bool) -> Address:
        rng = self._rng
        cumulative = self._district_weights(trouble)
        district = self._districts[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
        area, _, _, deprivation = DISTRICTS[district]
        street = rng.choice(self._streets[district])
        street.numbers_used += 1
        uprn = f"{next(self._uprn) % 10**12:012d}"
        postcode = rng.choice(street.postcodes)
        if flat and street.block:
            flat_no = str(street.numbers_used)  # flats in a block are numbered through; a block has one postcode
            made = Address(uprn, f"Flat {flat_no}", street.block, "", street.name, street.locality, street.postcodes[0], area,
                           deprivation)
        else:
            number = str(street.numbers_used * 2 - 1 if rng.random() < 0.5 else street.numbers_used * 2)
            if flat:
                flat_no = f"{rng.randrange(1, 6)}{rng.choice(('', '', 'A', 'B'))}"
                made = Address(uprn, f"Flat {flat_no}", "", number, street.name, street.locality, postcode, area,
                               deprivation)
            else:
                made = Address(uprn, "", "", number, street.name, street.locality, postcode, area, deprivation)
        self._made.append((made, street))
        return made

    def gazetteer_rows(self, seed: int):
        """The city's gazetteer as rows of ``GAZETTEER_COLUMNS``: every address made and the rest of each street.

        Deterministic for a seed and the addresses made; draws from its own random stream.
        """
        rng = random.Random(f"{seed}:gazetteer")
        uprns = itertools.count(_EXTRA_UPRNS_FROM)
        by_street: dict[int, list[Address]] = {}
        streets: dict[int, _Street] = {}
        for address, street in self._made:
            by_street.setdefault(id(street), []).append(address)
            streets[id(street)] = street
        for key in sorted(streets, key=lambda k: (streets[k].district, streets[k].name)):
            street, made = streets[key], by_street[key]
            east, north = 352_000 + rng.random() * 14_000, 166_000 + rng.random() * 14_000
            rows: list[tuple] = []

            def add(uprn, parent, sub, building, number, postcode, street=street, east=east, north=north, rows=rows):
                n = len(rows)
                rows.append((uprn, parent, sub, building, number, street.name, street.locality, TOWN, postcode,
                             f"{east + 7 * n:.0f}", f"{north + 3 * n:.0f}"))

            # converted houses: the building, the flat lived in, and one to three other flats
            houses = {a.number: a for a in made if a.number and not a.sub_building}
            converted: dict[str, list[Address]] = {}
            for a in made:
                if a.number and a.sub_building:
                    converted.setdefault(a.number, []).append(a)
            for number, flats in converted.items():
                parent = f"{next(uprns):012d}"
                add(parent, "", "", "", number, flats[0].postcode)
                taken = {f.sub_building for f in flats}
                for f in flats:
                    add(f.uprn, parent, f.sub_building, "", number, f.postcode)
                for label in rng.sample(_FLAT_LABELS, 3)[:rng.randrange(1, 4)]:
                    if f"Flat {label}" not in taken:
                        taken.add(f"Flat {label}")
                        add(f"{next(uprns):012d}", parent, f"Flat {label}", "", number, flats[0].postcode)
            for number, a in houses.items():
                add(a.uprn, "", "", "", number, a.postcode)
            # the houses nobody in the population lives in
            for n in range(1, 2 * street.numbers_used + 3):
                if str(n) not in houses and str(n) not in converted:
                    add(f"{next(uprns):012d}", "", "", "", str(n), rng.choice(street.postcodes))
            # a block of flats: the building, its flats numbered through (lived in or not)
            block_flats = {a.sub_building: a for a in made if a.building_name}
            if block_flats:
                parent = f"{next(uprns):012d}"
                postcode = street.postcodes[0]
                add(parent, "", "", street.block, "", postcode)
                for n in range(1, street.numbers_used + 1):
                    a = block_flats.get(f"Flat {n}")
                    add(a.uprn if a else f"{next(uprns):012d}", parent, f"Flat {n}", street.block, "",
                        a.postcode if a else postcode)
            yield from rows
