"""Name pools with realistic frequencies, and the nicknames agencies record.

English forenames come from Faker ``en_GB`` (the ONS lists, most frequent
first; we weight them by rank, Zipf-like), surnames from its ONS-weighted
table. Polish and South Asian names come from Faker ``pl_PL`` and ``en_IN``;
Somali, Pakistani/Bangladeshi and Chinese names from the short lists below.
Pools are built once per run, so the hot loops only index into lists.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from faker import Faker

# Formal name -> the short forms agencies write instead.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Robert": ("Rob", "Bob", "Bobby"),
    "Richard": ("Rich", "Rick"),
    "James": ("Jim", "Jamie"),
    "Thomas": ("Tom", "Tommy"),
    "Michael": ("Mike", "Mick"),
    "Christopher": ("Chris",),
    "Jonathan": ("Jon",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony",),
    "Joseph": ("Joe",),
    "Samuel": ("Sam",),
    "Benjamin": ("Ben",),
    "Alexander": ("Alex",),
    "Nicholas": ("Nick",),
    "Stephen": ("Steve",),
    "Andrew": ("Andy",),
    "Edward": ("Ed", "Ted"),
    "Charles": ("Charlie",),
    "Henry": ("Harry",),
    "Joshua": ("Josh",),
    "Nathan": ("Nate",),
    "Frederick": ("Fred", "Freddie"),
    "Zachary": ("Zach",),
    "Timothy": ("Tim",),
    "Gregory": ("Greg",),
    "Kenneth": ("Ken",),
    "Catherine": ("Cath", "Kate"),
    "Katherine": ("Kate", "Kathy"),
    "Margaret": ("Maggie", "Peggy"),
    "Rebecca": ("Becky", "Becca"),
    "Jennifer": ("Jenny", "Jen"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam", "Sammy"),
    "Jessica": ("Jess",),
    "Alexandra": ("Alex",),
    "Deborah": ("Debbie", "Deb"),
    "Susan": ("Sue",),
    "Patricia": ("Pat", "Trish"),
    "Christine": ("Chris",),
    "Jacqueline": ("Jackie",),
    "Kimberley": ("Kim",),
    "Amanda": ("Mandy",),
    "Natalie": ("Nat",),
    "Abigail": ("Abbie", "Abby"),
    "Charlotte": ("Lottie", "Charlie"),
    "Eleanor": ("Ellie",),
    "Gemma": ("Gem",),
    "Nicola": ("Nicky",),
    "Stephanie": ("Steph",),
    "Danielle": ("Dani",),
    "Jakub": ("Kuba",),
    "Aleksandra": ("Ola",),
}

_SOMALI_MALE = ("Abdi", "Mohamed", "Ahmed", "Abdullahi", "Hassan", "Ali", "Omar", "Yusuf", "Ibrahim", "Mahad",
                "Abdirahman", "Hussein", "Ismail", "Farah", "Mukhtar")
_SOMALI_FEMALE = ("Amina", "Hodan", "Fadumo", "Hawa", "Sahra", "Ayaan", "Ifrah", "Khadra", "Nimco", "Safiya",
                  "Hibo", "Maryan", "Sagal", "Deeqa", "Ubah")
_SOMALI_SURNAMES = ("Mohamed", "Ahmed", "Ali", "Hassan", "Abdi", "Farah", "Hussein", "Omar", "Warsame", "Jama",
                    "Aden", "Egal", "Noor", "Osman", "Ismail")
_SOUTH_ASIAN_MALE = ("Mohammed", "Muhammad", "Ali", "Hamza", "Bilal", "Imran", "Tariq", "Zain", "Adnan", "Faisal",
                     "Rahim", "Shahid", "Amir", "Usman", "Arif")
_SOUTH_ASIAN_FEMALE = ("Fatima", "Ayesha", "Maryam", "Zainab", "Aisha", "Nadia", "Samina", "Shazia", "Hina",
                       "Rukhsana", "Nasreen", "Saima", "Amna", "Iqra", "Sana")
_SOUTH_ASIAN_SURNAMES = ("Khan", "Hussain", "Ahmed", "Ali", "Iqbal", "Begum", "Akhtar", "Rahman", "Shah", "Mahmood",
                         "Malik", "Islam", "Chowdhury", "Uddin", "Miah")
_CHINESE_MALE = ("Wei", "Jun", "Hao", "Ming", "Jian", "Lei", "Tao", "Yong")
_CHINESE_FEMALE = ("Li", "Mei", "Xiu", "Yan", "Hui", "Ling", "Jing", "Fang")
_CHINESE_SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Lin", "Chan")


@dataclass(frozen=True)
class WeightedPool:
    """Values with cumulative weights: ``pick`` is one random() and a bisect."""

    values: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def build(cls, weighted: list[tuple[str, float]]) -> WeightedPool:
        merged: dict[str, float] = {}
        for value, weight in weighted:
            merged[value] = merged.get(value, 0.0) + weight
        values = tuple(merged)
        return cls(values, tuple(itertools.accumulate(merged[v] for v in values)))

    @classmethod
    def by_rank(cls, values: list[str] | tuple[str, ...]) -> WeightedPool:
        """Most frequent first: weight 1 / (rank + 8), a gentle Zipf curve."""
        return cls.build([(v, 1.0 / (rank + 8)) for rank, v in enumerate(values)])

    def pick(self, rng: random.Random) -> str:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass(frozen=True)
class NamePools:
    """Forename and surname pools for one naming tradition."""

    male: WeightedPool
    female: WeightedPool
    surnames: WeightedPool


def build_name_pools(seed: int) -> dict[str, NamePools]:
    """Pools keyed by tradition: english, polish, south_asian, indian, somali, chinese."""
    en = Faker("en_GB")
    en.seed_instance(seed)
    person = next(p for p in en.providers if type(p).__module__.endswith("person.en_GB"))
    pl = Faker("pl_PL")
    pl.seed_instance(seed)
    polish_person = next(p for p in pl.providers if type(p).__module__.endswith("person.pl_PL"))
    polish_surnames_male = [pl.last_name_male() for _ in range(150)]
    polish_surnames_female = [pl.last_name_female() for _ in range(150)]
    indian = Faker("en_IN")
    indian.seed_instance(seed)
    indian_person = next(p for p in indian.providers if type(p).__module__.endswith("person.en_IN"))
    return {
        "english": NamePools(
            WeightedPool.by_rank(person.first_names_male),
            WeightedPool.by_rank(person.first_names_female),
            WeightedPool.build(list(person.last_names.items())),
        ),
        "polish": NamePools(
            WeightedPool.by_rank(polish_person.first_names_male),
            WeightedPool.by_rank(polish_person.first_names_female),
            # Polish surnames inflect by sex; the household draws one stem pair, see ``polish_surname``.
            WeightedPool.by_rank([f"{m}|{f}" for m, f in zip(polish_surnames_male, polish_surnames_female, strict=True)]),
        ),
        "indian": NamePools(
            WeightedPool.by_rank(indian_person.first_names_male),
            WeightedPool.by_rank(indian_person.first_names_female),
            WeightedPool.by_rank(indian_person.last_names),
        ),
        "south_asian": NamePools(
            WeightedPool.by_rank(_SOUTH_ASIAN_MALE),
            WeightedPool.by_rank(_SOUTH_ASIAN_FEMALE),
            WeightedPool.by_rank(_SOUTH_ASIAN_SURNAMES),
        ),
        "somali": NamePools(
            WeightedPool.by_rank(_SOMALI_MALE), WeightedPool.by_rank(_SOMALI_FEMALE), WeightedPool.by_rank(_SOMALI_SURNAMES)
        ),
        "chinese": NamePools(
            WeightedPool.by_rank(_CHINESE_MALE), WeightedPool.by_rank(_CHINESE_FEMALE), WeightedPool.by_rank(_CHINESE_SURNAMES)
        ),
    }


def surname_for(drawn: str, sex: str) -> str:
    """A drawn surname as this person carries it (Polish pool entries hold the male|female forms).

    A double-barrelled surname is drawn as two joined by ``+`` and carried hyphenated: "Smith-Jones".
    """
    if "+" in drawn:
        return "-".join(surname_for(part, sex) for part in drawn.split("+"))
    if "|" in drawn:
        male, female = drawn.split("|", 1)
        return female if sex == "F" else male
    return drawn


# DfE ethnicity code -> (share of Bristol's families, naming tradition). Shares follow the
# 2021 census for Bristol's children, rounded.
ETHNICITIES: tuple[tuple[str, float, str], ...] = (
    ("WBRI", 0.660, "english"),
    ("WIRI", 0.006, "english"),
    ("WROM", 0.005, "english"),
    ("WOTH", 0.060, "polish"),
    ("MWBC", 0.035, "english"),
    ("MWBA", 0.010, "english"),
    ("MWAS", 0.010, "english"),
    ("MOTH", 0.020, "english"),
    ("AIND", 0.015, "indian"),
    ("APKN", 0.025, "south_asian"),
    ("ABAN", 0.010, "south_asian"),
    ("AOTH", 0.010, "indian"),
    ("BCRB", 0.012, "english"),
    ("BAFR", 0.060, "somali"),
    ("BOTH", 0.010, "english"),
    ("CHNE", 0.010, "chinese"),
    ("OOTH", 0.020, "english"),
    ("NOBT", 0.012, "english"),
)
