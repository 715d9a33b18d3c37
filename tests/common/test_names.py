"""One name module for import, search and matching: the stored form, the search key, the phonetic code, nicknames."""

from __future__ import annotations

import pytest

from apps.common.names import (
    name_variants,
    nickname_keys,
    nickname_table,
    normalise_name,
    phonetic,
    search_key,
    similarity,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  o'brien ", "OBRIEN"),
        ("O’Brien", "OBRIEN"),
        ("OBRIEN", "OBRIEN"),
        ("smith-jones", "SMITH-JONES"),
        ("Smith - Jones", "SMITH-JONES"),
        ("Smith – Jones", "SMITH-JONES"),
        ("mary   ann", "MARY ANN"),
        ("José", "JOSE"),
        ("Zoë", "ZOE"),
        ("-Smith-", "SMITH"),
        ("D'Arcy-Smith", "DARCY-SMITH"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_name_is_the_stored_form(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mr Steven", "STEVEN"),
        ("MRS. Jean", "JEAN"),
        ("Miss Aarna", "AARNA"),
        ("Dr Ann Marie", "ANN MARIE"),
        ("Saunders Jr", "SAUNDERS"),
        ("Saunders Jnr.", "SAUNDERS"),
        ("Mr Paul Cooper Snr", "PAUL COOPER"),
        ("Junior", "JUNIOR"),  # a name left alone: nothing else would be left
        ("Mr", "MR"),
        ("Misson", "MISSON"),  # words, not prefixes
    ],
)
def test_titles_and_suffixes_are_not_part_of_the_name(raw, expected):
    assert normalise_name(raw) == expected
    # search reads a query the same way: "Mr Steven Saunders" finds STEVEN SAUNDERS
    assert search_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("O'Neil-Smith", "ONEIL SMITH"), ("smith - jones", "SMITH JONES"), ("Smith--Jones", "SMITH JONES"), ("", "")],
)
def test_search_key_reads_hyphens_as_spaces(raw, expected):
    assert search_key(raw) == expected


# Where the three old modules disagreed (sources/normalise.py on import, people/names.py in
# search, matching/names.py in matching): a backtick or an acute accent typed for an
# apostrophe, a full stop or a digit inside a name. Kept: the import's reading, because it
# is what records are stored as, so a query typed the way the agency sent the name gets
# the key the record has.
@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("O`Brien", "OBRIEN"),  # search read "O BRIEN"
        ("O´Brien", "OBRIEN"),  # search and matching read "O BRIEN"
        ("O‘Brien", "OBRIEN"),
        ("St.John", "ST JOHN"),  # matching read "STJOHN"
        ("Jane2", "JANE"),  # matching kept the digit
        ("Anne-Marie", "ANNE MARIE"),
    ],
)
def test_a_query_typed_as_the_record_was_sent_gets_the_records_key(typed, key):
    stored = normalise_name(typed)  # what the import writes on the source record
    assert search_key(stored) == search_key(typed) == key  # what matching projects, what search compares
    assert phonetic(stored) == phonetic(typed)


def test_phonetic_is_metaphone_of_the_first_word():
    assert phonetic("Catherine") == phonetic("KATHRYN") == "K0RN"
    assert phonetic("Smith") == phonetic("smyth") == "SM0"
    assert phonetic("Mary Anne") == phonetic("Mary")
    assert phonetic("O'Brien-Smith") == phonetic("OBRIEN")
    assert phonetic("") == phonetic(None) == ""
    assert len(phonetic("Wolfeschlegelsteinhausenbergerdorff")) == 12  # Person.forename_phonetic's width


def test_nickname_keys_are_the_name_and_the_formal_names_it_may_stand_for():
    assert nickname_keys("Bob") == ["BOB", "ROBERT"]
    assert nickname_keys("robert") == ["ROBERT"]
    assert nickname_keys("Zebedee") == ["ZEBEDEE"]
    assert nickname_keys("") == []
    # ALEX may be either; ALEXANDER and ALEXANDRA are not each other's nicknames
    assert set(nickname_keys("Alex")) >= {"ALEXANDER", "ALEXANDRA"}
    assert not set(nickname_keys("Alexander")) & set(nickname_keys("Alexandra"))


def test_name_variants_are_every_name_that_may_be_the_same_forename():
    assert {"WILLIAM", "WILL", "LIAM", "BILLY"} <= name_variants("Bill")
    assert "BILL" in name_variants("William")
    assert "ALEXANDRA" not in name_variants("Alexander")
    assert name_variants("Zebedee") == {"ZEBEDEE"}
    assert name_variants(None) == frozenset()
    # looked up on the whole forename, as matching does (search looks up one typed word at a time)
    assert name_variants("Billy Joe") == {"BILLY JOE"}


def test_search_and_matching_call_the_same_pairs_nicknames():
    """Search finds a stored forename when it is in the query's variants; matching links two
    forenames when their keys overlap. Over every name in the table, both say the same."""
    table = nickname_table()
    names = sorted({n for formal, short in table.items() for n in (formal, *short)} | {"ZEBEDEE"})
    for a in names:
        keys_a = set(nickname_keys(a))
        for b in names:
            assert (b in name_variants(a)) == bool(keys_a & set(nickname_keys(b))), (a, b)
            assert (b in name_variants(a)) == (a in name_variants(b)), (a, b)


def test_the_one_table_holds_what_search_and_matching_each_knew():
    # search's table had these and matching's did not
    assert "KATHRYN" in name_variants("Katherine") and "STEVEN" in name_variants("Stephen")
    assert set(nickname_keys("Mohamed")) & set(nickname_keys("Muhammad"))
    # matching's table had these and search's did not
    assert "SALLY" in name_variants("Sarah") and "ALFIE" in name_variants("Alfred")
    assert all(name.isalpha() and name.isupper() for formal, short in nickname_table().items() for name in (formal, *short))


def test_similarity():
    assert similarity("SMITH", "SMITH") == 1.0
    assert similarity("SMITH", "SMYTH") > similarity("SMITH", "JONES")
    assert similarity("", "SMITH") == similarity("SMITH", "") == 0.0
