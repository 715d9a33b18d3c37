"""Error types of the independent corruption model: each a small pure function of (rng, value).

Written for this benchmark from the descriptions of real data-entry errors (OCR of paper
forms, keying on a QWERTY keyboard, names heard and spelt, transliteration of Arabic,
Urdu, Bengali, Somali, Chinese and Welsh names, legacy systems with fixed-width fields
and no accents), not from the project's generator.
"""

from __future__ import annotations

import re
import unicodedata

# --- keyboard: QWERTY neighbours --------------------------------------------------------

_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_NEIGHBOURS: dict[str, str] = {}
for r, row in enumerate(_ROWS):
    for i, ch in enumerate(row):
        near = []
        if i > 0:
            near.append(row[i - 1])
        if i + 1 < len(row):
            near.append(row[i + 1])
        for other in (r - 1, r + 1):
            if 0 <= other < len(_ROWS):
                near.extend(_ROWS[other][j] for j in (i - 1, i, i + 1) if 0 <= j < len(_ROWS[other]))
        _NEIGHBOURS[ch] = "".join(near)


def _same_case(template: str, ch: str) -> str:
    return ch.upper() if template.isupper() else ch


def keyboard_typo(rng, value: str) -> str:
    """A neighbouring key hit instead of (or as well as) the intended one; never the first letter."""
    positions = [i for i, ch in enumerate(value) if i > 0 and ch.lower() in _NEIGHBOURS]
    if not positions:
        return value
    i = rng.choice(positions)
    wrong = _same_case(value[i], rng.choice(_NEIGHBOURS[value[i].lower()]))
    if rng.random() < 0.6:
        return value[:i] + wrong + value[i + 1:]
    return value[:i] + wrong + value[i:] if rng.random() < 0.5 else value[:i + 1] + wrong + value[i + 1:]


# --- OCR of a scanned form -----------------------------------------------------------------

_OCR = [("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("li", "h"), ("h", "li"), ("vv", "w"), ("w", "vv"),
        ("l", "I"), ("I", "l"), ("e", "c"), ("O", "0"), ("o", "0"), ("i", "1"), ("l", "1"), ("S", "5"), ("B", "8")]


def ocr_confusion(rng, value: str) -> str:
    options = [(a, b) for a, b in _OCR if a in value]
    if not options:
        return value
    a, b = rng.choice(options)
    starts = [m.start() for m in re.finditer(re.escape(a), value)]
    i = rng.choice(starts)
    return value[:i] + b + value[i + len(a):]


# --- names as heard --------------------------------------------------------------------------

_PHONETIC = [
    (r"ph", "f"), (r"ck", "k"), (r"ee", "ea"), (r"ea", "ee"), (r"ou", "ow"), (r"y$", "ie"), (r"ie$", "y"),
    (r"ey$", "y"), (r"c(?=[aou])", "k"), (r"k(?=[aou])", "c"), (r"(?<=[aeiou])s(?=[aeiou])", "z"),
    (r"([bdfglmnprst])\1", r"\1"), (r"(?<=[aeiou])([lnrt])(?=[aeiou])", r"\1\1"), (r"son$", "sen"),
    (r"th", "t"), (r"ai", "ay"), (r"ay", "ai"), (r"x", "cks"), (r"qu", "kw"), (r"ll$", "l"), (r"i(?=[^aeiou]$)", "y"),
]


def phonetic_respelling(rng, value: str) -> str:
    lower = value.lower()
    options = [(p, r) for p, r in _PHONETIC if re.search(p, lower[1:])]
    if not options:
        return value
    pattern, repl = rng.choice(options)
    # change one occurrence, never the first letter
    changed = lower[0] + re.sub(pattern, repl, lower[1:], count=1)
    return restyle(value, changed)


# Variant spellings a name has in English records (transliteration, Welsh and anglicised
# forms, common English alternatives). Each group is one name; any member may be written for any other.
VARIANT_GROUPS = [
    # Arabic / Urdu / Bengali / Somali transliterations
    "Mohammed Mohammad Muhammad Mohamed Muhammed Mohamad Mohamud", "Ahmed Ahmad Ahmet", "Hussain Hussein Husain Hossain",
    "Rahman Rehman", "Chaudhry Choudhury Chowdhury Chaudhary", "Begum Begam", "Fatima Fatimah Fathima",
    "Aisha Ayesha Aysha Ayesha", "Yusuf Yousuf Yusef Yousef", "Abdullah Abdulla", "Iqbal Ikbal", "Siddiqui Siddiqi Siddique",
    "Mahmood Mahmud Mehmood", "Khadija Khadijah", "Zainab Zaynab Zeinab", "Hassan Hasan", "Osman Usman Othman",
    "Farah Farrah", "Warsame Warsama", "Abdi Abdy", "Hamza Hamzah", "Amina Aminah Ameena", "Bilal Belal",
    "Imran Imraan", "Ali Aly", "Raza Reza", "Shahid Shaheed", "Nasir Nasser Nassir", "Rashid Rasheed",
    "Khalid Khaled", "Omar Umar", "Ibrahim Ebrahim", "Ismail Ismael", "Mustafa Mostafa", "Sadia Saadia", "Noor Nur",
    "Hodan Hodon", "Ayaan Ayan", "Zahra Zahrah",
    # Chinese romanisations
    "Wang Wong", "Zhang Chang Cheung", "Chen Chan", "Li Lee", "Liu Lau", "Zhou Chow", "Wu Ng", "Huang Hwang",
    # Welsh and their English forms
    "Rhys Reece Rees", "Sian Shan", "Sion Shaun", "Dafydd David", "Llewellyn Llewelyn Lewellyn", "Gwyneth Gwenith",
    "Owain Owen", "Ieuan Iwan Evan", "Cerys Ceris", "Powell Powel", "Pritchard Prichard", "Lloyd Loyd",
    "Vaughan Vaughn", "Griffiths Griffith", "Bowen Bowan", "Meredith Meridith",
    # Polish and their anglicised forms
    "Piotr Peter", "Paweł Pawel Paul", "Jakub Jacob Kuba", "Tomasz Thomas", "Michał Michal Michael",
    "Katarzyna Katarzina Kasia", "Krzysztof Kristof Christopher", "Aleksandra Alexandra", "Mateusz Mateus Matthew",
    "Wojciech Voytek", "Małgorzata Malgorzata Margaret",
    # English alternatives
    "Catherine Katherine Kathryn Catharine Katharine", "Stephen Steven", "Sean Shaun Shawn", "Zoe Zoey Zoë",
    "Leigh Lee", "Hayley Haley Hailey", "Jayden Jaden Jaiden", "Aiden Aidan Ayden", "Caitlin Katelyn Kaitlyn",
    "Isabel Isobel Isabelle", "Rebecca Rebekah", "Philip Phillip", "Geoffrey Jeffrey", "Matthew Mathew",
    "Thomson Thompson", "Davies Davis", "Clarke Clark", "Reid Reed Read", "Gray Grey", "Smith Smyth",
    "Macdonald McDonald MacDonald", "Phillips Philips", "Mackenzie McKenzie", "Stewart Stuart", "Ann Anne",
    "Sara Sarah", "Louise Louisa", "Jon John", "Nicola Nichola", "Teresa Theresa", "Carl Karl", "Eric Erik",
    "Brian Bryan", "Alan Allan Allen", "Neil Neal", "Jane Jayne", "Lindsay Lindsey", "Kirsty Kirsten",
    "Elliot Elliott", "Freya Freja", "Evie Evey", "Harrison Harrisson", "Connor Conor", "Niamh Neve",
    "Mathews Matthews", "Thorne Thorn", "Browne Brown", "Greene Green", "Whyte White", "Cooke Cook",
]
_VARIANTS: dict[str, list[str]] = {}
for group in VARIANT_GROUPS:
    members = group.split()
    for m in members:
        _VARIANTS.setdefault(m.lower(), []).extend(x for x in members if x.lower() != m.lower())


def has_variant(value: str) -> bool:
    return value.lower() in _VARIANTS


def name_variant(rng, value: str) -> str:
    options = _VARIANTS.get(value.lower())
    return restyle(value, rng.choice(options)) if options else value


# --- shapes of a name ------------------------------------------------------------------------

def restyle(template: str, value: str) -> str:
    """``value`` in the case style of ``template`` (upper, lower or title)."""
    if template.isupper():
        return value.upper()
    if template.islower():
        return value.lower()
    return value[:1].upper() + value[1:].lower() if value.islower() else value


def truncate(rng, value: str) -> str:
    if len(value) <= 4:
        return value
    return value[:rng.randint(3, min(6, len(value) - 1))]


def drop_diacritics(value: str) -> str:
    value = value.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("Ø", "O").replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def hyphen_variant(rng, value: str) -> str:
    parts = value.split("-")
    choice = rng.random()
    if choice < 0.4:
        return " ".join(parts)
    if choice < 0.7:
        return parts[0]
    return parts[-1]


def apostrophe_variant(rng, value: str) -> str:
    return value.replace("'", "" if rng.random() < 0.6 else " ")


TITLES = {"M": ["Mr", "MR", "Mr."], "F": ["Mrs", "Miss", "Ms", "MRS"], "U": ["Dr", "Mx"]}
SUFFIXES = ["Jr", "Jnr", "Snr", "Sr", "II"]


# --- dates -------------------------------------------------------------------------------------

def shift_year(day, years: int):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- addresses ---------------------------------------------------------------------------------

STREET_ABBREVIATIONS = {"Road": "Rd.", "Street": "Str", "Avenue": "Av.", "Close": "Cl.", "Lane": "Ln",
                        "Crescent": "Cres", "Drive": "Dr.", "Gardens": "Gdns", "Place": "Pl.", "Terrace": "Terr",
                        "Court": "Ct", "Square": "Sq."}


def abbreviate_street(street: str) -> str:
    words = street.split()
    if words and words[-1] in STREET_ABBREVIATIONS:
        words[-1] = STREET_ABBREVIATIONS[words[-1]]
    return " ".join(words)


def flat_variant(rng, sub_building: str) -> str:
    """'Flat 4A' written another way."""
    m = re.match(r"(?i)flat\s*(\d+)\s*([a-z]?)$", sub_building.strip())
    if not m:
        return sub_building
    number, letter = m.group(1), m.group(2)
    return rng.choice([f"Apartment {number}{letter.lower()}", f"Apt {number}{letter}", f"{number}{letter}",
                       f"Flat {number} {letter}".strip(), f"FLAT {number}{letter}", f"Flat No. {number}{letter}"])


def swap_last_two(postcode: str) -> str:
    return postcode[:-2] + postcode[-1] + postcode[-2] if len(postcode) >= 2 else postcode
