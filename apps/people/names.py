"""Name keys shared by search and matching: normalised form, phonetic code, nicknames."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish

_NON_LETTERS = re.compile(r"[^A-Z ]+")
_SPACES = re.compile(r"\s+")

# Common English forename variants (both directions are derived below).
_NICKNAME_GROUPS = (
    "WILLIAM BILL BILLY WILL WILLIE LIAM",
    "ELIZABETH LIZ LIZZIE BETH BETTY ELIZA LIZZY BESS",
    "ROBERT BOB BOBBY ROB ROBBIE BERT",
    "RICHARD RICH RICK RICKY DICK",
    "JAMES JIM JIMMY JAMIE",
    "JOHN JACK JOHNNY JON",
    "MARGARET MAGGIE PEGGY MEG MADGE",
    "KATHERINE KATHRYN CATHERINE KATE KATIE KAT CATH CATHY KATHY",
    "THOMAS TOM TOMMY",
    "MICHAEL MIKE MICK MICKEY",
    "CHRISTOPHER CHRIS KIT",
    "ALEXANDER ALEX ALEC SANDY",
    "ALEXANDRA ALEX LEXI SANDRA",
    "ANTHONY TONY ANT",
    "DANIEL DAN DANNY",
    "DAVID DAVE DAVY",
    "EDWARD ED EDDIE TED TEDDY NED",
    "JOSEPH JOE JOEY",
    "SAMUEL SAM SAMMY",
    "SAMANTHA SAM SAMMY",
    "MATTHEW MATT MATTY",
    "NICHOLAS NICK NICKY",
    "BENJAMIN BEN BENNY",
    "JOSHUA JOSH",
    "ZACHARY ZAC ZACK",
    "CHARLOTTE CHARLIE LOTTIE",
    "CHARLES CHARLIE CHAS CHUCK",
    "REBECCA BECKY BECCA",
    "JENNIFER JEN JENNY",
    "JESSICA JESS JESSIE",
    "VICTORIA VICKY TORI",
    "SUSAN SUE SUSIE",
    "DEBORAH DEBBIE DEB",
    "PATRICIA PAT PATSY TRISH",
    "STEPHEN STEVEN STEVE",
    "ANDREW ANDY DREW",
    "PETER PETE",
    "GEORGE GEORDIE",
    "HENRY HARRY HAL",
    "NATHAN NATE",
    "NATHANIEL NATE NAT",
    "OLIVER OLLIE",
    "OLIVIA LIV LIVVY",
    "ABIGAIL ABBIE ABBY",
    "AMELIA MILLIE AMY",
    "EMILY EM EMMY MILLIE",
    "ELEANOR ELLIE NELL",
    "HANNAH ANNIE",
    "ISABELLA ISABEL IZZY BELLA",
    "GABRIEL GABE",
    "FREDERICK FRED FREDDIE",
    "TIMOTHY TIM",
    "KIMBERLEY KIMBERLY KIM",
    "LEONARD LEN LENNY LEO",
    "ANTHONY ANTONY TONY",
    "JACQUELINE JACKIE",
    "CHRISTINE CHRISSIE CHRIS",
    "PHILIP PHILLIP PHIL",
    "RAYMOND RAY",
    "RONALD RON RONNIE",
    "DONALD DON DONNIE",
    "DOROTHY DOT DOTTIE",
    "GERALD GERRY",
    "THEODORE THEO TED",
    "MOHAMMED MOHAMMAD MUHAMMAD MOHAMED MO",
)


@lru_cache(maxsize=1)
def _nickname_index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in _NICKNAME_GROUPS:
        names = group.split()
        for name in names:
            index.setdefault(name, set()).update(names)
    return {name: frozenset(variants) for name, variants in index.items()}


@lru_cache(maxsize=65536)
def normalise_name(value: str | None) -> str:
    """Upper-case, accents removed, hyphens and apostrophes handled: "O'Brien-Smith" -> "OBRIEN SMITH"."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").upper()
    text = text.replace("'", "").replace("’", "").replace("-", " ")
    text = _NON_LETTERS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def phonetic(value: str | None) -> str:
    """Metaphone of the first word of the normalised name ("" for none). Catherine/Kathryn -> K0RN."""
    name = normalise_name(value)
    if not name:
        return ""
    return jellyfish.metaphone(name.split(" ")[0])[:12]


@lru_cache(maxsize=65536)
def name_variants(value: str | None) -> frozenset[str]:
    """The normalised name and its nickname variants: BILL -> {BILL, WILLIAM, WILL, ...}."""
    name = normalise_name(value)
    if not name:
        return frozenset()
    first = name.split(" ")[0]
    return _nickname_index().get(first, frozenset()) | {name, first}


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two normalised names, 0..1."""
    if not a or not b:
        return 0.0
    return jellyfish.jaro_winkler_similarity(a, b)
