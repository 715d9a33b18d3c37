"""The family guard on evidence of two people, clusters that never hold conflicting identifiers,
blocking that reaches swapped-and-misspelt and undated pairs, and bounded weights."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from apps.common.names import normalise_name
from apps.matching import profiles, splink_model
from apps.matching.clustering import cluster, dates_of_birth_compatible, identifiers_conflict
from apps.matching.models import ClericalPair

from .conftest import person_of

HOME = dict(surname="SMITH", postcode="BS5 6XY", address="12 High Street")


def _queued(a, b) -> bool:
    return ClericalPair.objects.filter(record_low=min(a.pk, b.pk), record_high=max(a.pk, b.pk)).exists()


# --- the guard's verdict on one pair, evaluated in DuckDB as predict does ----------------------

GUARD_COLUMNS = ("forename", "surname", "forename_phonetic", "forename_variants", "surname_variants", "date_of_birth", "sex",
                 "postcode", "address_line", "uprn", "nhs_number", "upn", "ni_number", "middle_names",
                 "middle_name_variants")
LIST_COLUMNS = ("forename_variants", "surname_variants", "middle_names", "middle_name_variants")


def _verdict(left: dict, right: dict) -> str:
    values = []
    for side, row in (("l", left), ("r", right)):
        for c in GUARD_COLUMNS:
            value = row.get(c)
            if c in LIST_COLUMNS:
                value = [value] if isinstance(value, str) else value
                values.append(f"{list(value)}::VARCHAR[] AS {c}_{side}" if value else f"NULL::VARCHAR[] AS {c}_{side}")
            elif c == "date_of_birth":
                values.append(f"{f'DATE {value!r}' if value else 'NULL::DATE'} AS {c}_{side}")
            else:
                values.append(f"{f'{value!r}' if value else 'NULL'}::VARCHAR AS {c}_{side}")
    return duckdb.connect().execute(f"SELECT {splink_model.GUARD_SQL} FROM (SELECT {', '.join(values)})").fetchone()[0]


def _person(forename: str, **fields) -> dict:
    from apps.common.names import nickname_keys, phonetic

    return dict(forename=forename, surname="SMITH", forename_phonetic=phonetic(forename),
                forename_variants=nickname_keys(forename)[-1], sex="M", postcode="BS5 6XY",
                address_line="||12|HIGH STREET") | fields


def _middle(*names: str) -> dict:
    """Middle names as a profile carries them: the tokens and their nickname keys."""
    from apps.common.names import nickname_keys

    return dict(middle_names=list(names), middle_name_variants=sorted({k for n in names for k in nickname_keys(n)}))


def test_twins_are_never_linked_by_the_guard():
    jack, oscar = _person("JACK", date_of_birth="2012-06-01"), _person("OSCAR", date_of_birth="2012-06-01")
    assert _verdict(jack, oscar) == "review"  # no identifier on either side: a reviewer decides
    emily = _person("EMILY", date_of_birth="2012-06-01", sex="F")
    assert _verdict(jack, emily) == "apart"  # different forename and different sex
    # twins' NHS numbers, issued one after the other, differ in two characters (last digit and check digit)
    assert _verdict(jack | {"nhs_number": "9434765919"}, oscar | {"nhs_number": "9434765927"}) == "apart"


def test_parent_and_child_of_one_name_are_kept_apart():
    father, son = _person("STEVEN", date_of_birth="1988-06-26"), _person("STEVEN", date_of_birth="2011-07-04")
    assert _verdict(father, son) == "apart"
    # siblings: both the forename and the date of birth differ
    assert _verdict(_person("JACK", date_of_birth="2010-02-03"), _person("OSCAR", date_of_birth="2014-09-30")) == "apart"


def test_agreeing_identifiers_link_a_replaced_forename_and_conflicting_ones_keep_apart():
    nhs = {"nhs_number": "9434765919"}
    assert _verdict(_person("JAMES", date_of_birth="1990-03-07") | nhs, _person("OLIVER", date_of_birth="1990-03-07") | nhs) == "link"
    # the same names and date, NHS numbers far apart: two people
    assert _verdict(_person("JAMES", date_of_birth="1990-03-07") | nhs,
                    _person("JAMES", date_of_birth="1990-03-07", nhs_number="4857773456")) == "apart"
    # one keying slip in the number is not evidence of two people
    assert _verdict(_person("JAMES", date_of_birth="1990-03-07") | nhs,
                    _person("JAMES", date_of_birth="1990-03-07", nhs_number="9434765991")) == "link"


def test_ambiguous_pairs_go_to_review_not_dropped():
    gemma = _person("GEMMA", surname="WILLIS", date_of_birth="2008-02-14", sex="F")
    undated = gemma | {"date_of_birth": None}
    assert _verdict(gemma, undated | {"postcode": "BS4 6TY", "address_line": "||70|LONG ROW"}) == "review"
    assert _verdict(gemma, undated) == "link"  # same home
    assert _verdict(gemma, gemma | {"date_of_birth": "2001-11-30"}) == "review"  # same names, dates 6 years apart
    # a 1 January placeholder: weak evidence, near any date of its year; of another year, a reviewer decides
    assert _verdict(gemma, gemma | {"date_of_birth": "2008-01-01"}) == "link"
    assert _verdict(gemma, gemma | {"date_of_birth": "2006-01-01"}) == "review"


def test_an_initial_is_not_evidence_of_two_people():
    john = _person("JOHN", date_of_birth="1990-03-07")
    initial = _person("J", date_of_birth="1990-03-07", forename_variants="J")
    assert _verdict(john, initial) == "link"
    # an initial of another name, same date of birth: ambiguous, not linked
    assert _verdict(_person("PETER", date_of_birth="1990-03-07"), initial) == "review"
    # with a date of birth far off, an initial of the same letter is still not a sibling's forename
    assert _verdict(john, initial | {"date_of_birth": "1993-10-21"}) == "review"
    assert _verdict(_person("PETER", date_of_birth="1990-03-07"), initial | {"date_of_birth": "1993-10-21"}) == "apart"


def test_a_sex_mismatch_alone_is_not_evidence_of_two_people():
    a = _person("JOSEPH", date_of_birth="1979-05-05")
    assert _verdict(a, a | {"sex": "F"}) == "link"
    assert _verdict(a, a | {"sex": "F", "forename": "JOSEPHINE", "forename_variants": "JOSEPHINE"}) == "review"


def test_a_forename_that_is_the_other_records_middle_name_is_compatible():
    """PATRICIA NICOLA BURTON, known as Nicola: one agency records PATRICIA (middle NICOLA), another NICOLA."""
    patricia = _person("PATRICIA", surname="BURTON", sex="F", date_of_birth="1984-10-02") | _middle("NICOLA")
    nicola = _person("NICOLA", surname="BURTON", sex="F", date_of_birth="1984-10-02")
    assert _verdict(_person("PATRICIA", surname="BURTON", sex="F", date_of_birth="1984-10-02"), nicola) == "review"
    assert _verdict(patricia, nicola) == "link"  # the model's score decides
    assert _verdict(nicola, patricia) == "link"  # either side
    assert _verdict(patricia, nicola | _middle("PATRICIA")) == "link"  # forename and middle name swapped
    assert _verdict(patricia | _middle("NICOLA", "JANE"), nicola | _middle("JANE")) == "link"
    # a nickname of the middle name: BOB for ROBERT
    robert = _person("DAVID", date_of_birth="1970-01-20") | _middle("ROBERT")
    assert _verdict(robert, _person("BOB", date_of_birth="1970-01-20")) == "link"
    # a middle name is evidence of one person, not a sibling: with dates of birth far apart, still apart when
    # the forenames are unrelated, and a generation apart (parent and child) with a middle name in common
    assert _verdict(patricia, _person("SARAH", surname="BURTON", sex="F", date_of_birth="1991-05-17")) == "apart"
    assert _verdict(patricia, nicola | {"date_of_birth": "2012-03-08"}) == "apart"


def test_twins_whose_forename_is_the_others_middle_name_are_not_linked_on_it():
    # twin A OSCAR (middle JAMES), twin B JACK OSCAR: B's middle name is A's forename
    oscar = _person("OSCAR", date_of_birth="2012-06-01") | _middle("JAMES")
    jack = _person("JACK", date_of_birth="2012-06-01") | _middle("OSCAR")
    assert _verdict(oscar, jack) == "review"  # no identifier: a reviewer decides, as for any twins
    assert _verdict(jack, oscar) == "review"
    # with their own NHS numbers (issued one after the other): apart
    assert _verdict(oscar | {"nhs_number": "9434765919"}, jack | {"nhs_number": "9434765927"}) == "apart"


# --- clustering never puts conflicting strong identifiers in one person ------------------------

def test_conflicting_identifiers_never_share_a_person_even_through_a_chain():
    # A ~ B ~ C, strongest edges first; A and C carry different NHS numbers, B none
    ids = {1: ("9434765919", None, None), 3: ("4857773456", None, None)}
    clusters = cluster([1, 2, 3], [(1, 2, 0.999), (2, 3, 0.998)], identifiers=ids)
    assert clusters[1] == clusters[2] != clusters[3]
    # a UPN on one side and an NHS number on the other do not conflict
    clusters = cluster([1, 2, 3], [(1, 2, 0.999), (2, 3, 0.998)], identifiers={1: ("9434765919", None, None),
                                                                                 3: (None, "A123456789012", None)})
    assert clusters[1] == clusters[2] == clusters[3]
    # one keying slip apart is one person's number mistyped
    clusters = cluster([1, 2], [(1, 2, 0.999)], identifiers={1: ("9434765919", None, None), 2: ("9434765991", None, None)})
    assert clusters[1] == clusters[2]
    assert identifiers_conflict("9434765919", "9434765927") and not identifiers_conflict("9434765919", "9434765919")


def test_an_identifier_backed_edge_is_not_held_back_by_a_mistyped_date_of_birth():
    dobs = {1: dt.date(1975, 3, 2), 2: dt.date(1995, 8, 30)}
    assert cluster([1, 2], [(1, 2, 0.999)], dates_of_birth=dobs)[2] == 2
    assert cluster([1, 2], [(1, 2, 0.999, True)], dates_of_birth=dobs)[2] == 1


def test_an_initial_cannot_chain_twins_into_one_person():
    # 1 JOHN and 2 JAMES, twins; 3 "J", as strong a match for either; 4 JON, JOHN misspelt
    names = {1: ("JOHN", "SMITH"), 2: ("JAMES", "SMITH"), 3: ("J", "SMITH"), 4: ("JON", "SMITH")}
    edges = [(1, 3, 0.999), (2, 3, 0.999), (1, 4, 0.998)]
    clusters = cluster([1, 2, 3, 4], edges, names=names)
    assert clusters[1] == clusters[3] == clusters[4] != clusters[2]
    # a swapped record is the same forenames
    assert cluster([1, 5], [(1, 5, 0.999)], names={1: ("JOHN", "SMITH"), 5: ("SMITH", "JOHN")})[5] == 1
    # an agreeing identifier outweighs a replaced forename
    assert cluster([1, 2], [(1, 2, 0.999, True)], names=names)[2] == 1


def test_an_initial_chains_a_person_known_by_their_middle_name_but_not_such_twins():
    # 1 PATRICIA (middle NICOLA) and 2 NICOLA are one person; 3 "N" is as strong a match for either
    edges = [(1, 3, 0.999), (2, 3, 0.999)]
    names = {1: ("PATRICIA", "BURTON", ("NICOLA",)), 2: ("NICOLA", "BURTON", ()), 3: ("N", "BURTON", ())}
    clusters = cluster([1, 2, 3], edges, names=names)
    assert clusters[1] == clusters[2] == clusters[3]
    # without the middle name, the initial cannot chain two different forenames
    clusters = cluster([1, 2, 3], edges, names=names | {1: ("PATRICIA", "BURTON", ())})
    assert clusters[1] != clusters[2]
    # twins OSCAR (middle JAMES) and JACK (middle OSCAR): their own middle names give two people
    twins = {1: ("OSCAR", "SMITH", ("JAMES",)), 2: ("JACK", "SMITH", ("OSCAR",)), 3: ("O", "SMITH", ())}
    clusters = cluster([1, 2, 3], edges, names=twins)
    assert clusters[1] != clusters[2]


def test_a_1_january_date_of_birth_is_compatible_within_its_year():
    assert dates_of_birth_compatible(dt.date(2008, 1, 1), dt.date(2008, 9, 14))
    assert not dates_of_birth_compatible(dt.date(2007, 1, 1), dt.date(2008, 9, 14))
    assert not dates_of_birth_compatible(dt.date(2008, 3, 1), dt.date(2008, 9, 14))


# --- through a full run (fixed model, both databases) ------------------------------------------

def test_twins_and_juniors_never_merge_in_a_run(extract, run_match):
    jack, oscar, father, son = extract("bcc-council-tax", [
        dict(forename="JACK", sex="M", date_of_birth="2012-06-01", **HOME),
        dict(forename="OSCAR", sex="M", date_of_birth="2012-06-01", **HOME),
        dict(forename="STEVEN", sex="M", date_of_birth="1988-06-26", **HOME),
        dict(forename="STEVEN", sex="M", date_of_birth="2011-07-04", **HOME),
    ])
    # a school record of the son without a date of birth could chain father and son
    [school] = extract("dfe-school-census", [dict(forename="STEVEN", sex="M", fact_type="enrolment", **HOME)])
    run_match()
    assert person_of(jack) != person_of(oscar)
    assert person_of(father) != person_of(son)
    assert len({person_of(father), person_of(son), person_of(school)}) >= 2


def test_an_initial_or_a_title_links_and_twins_stay_apart_in_a_run(extract, run_match):
    john, james = extract("bcc-council-tax", [
        dict(forename="JOHN", sex="M", date_of_birth="2001-04-18", **HOME),
        dict(forename="JAMES", sex="M", date_of_birth="2001-04-18", **HOME),
    ])
    [housing] = extract("bcc-housing-benefit", [dict(forename=normalise_name("Mr John"), sex="M", date_of_birth="2001-04-18", **HOME)])
    [initial] = extract("dwp-out-of-work-benefits", [dict(forename="J", sex="M", date_of_birth="2001-04-18", **HOME)])
    run_match()
    assert person_of(housing) == person_of(john)  # "Mr John" is John
    assert person_of(john) != person_of(james)  # twins
    # "J" is not evidence of another person: linked to one of them, or queued with them; never both twins in one
    assert (person_of(initial) in (person_of(john), person_of(james))
            or _queued(initial, john) or _queued(initial, james))


def test_a_duplicate_with_a_replaced_forename_links_when_identifiers_agree(extract, run_match):
    [tax] = extract("bcc-council-tax", [dict(forename="JAMES", sex="M", date_of_birth="1990-03-07", nhs_number="9434765919", **HOME)])
    [care] = extract("bcc-social-care", [dict(forename="OLIVER", sex="M", date_of_birth="1990-03-07", nhs_number="9434765919",
                                              fact_type="open-to-families-in-focus-or-social-care", **HOME)])
    run_match()
    assert person_of(tax) == person_of(care)


def test_without_identifiers_a_replaced_forename_goes_to_review(extract, run_match):
    [tax] = extract("bcc-council-tax", [dict(forename="JAMES", sex="M", date_of_birth="1990-03-07", **HOME)])
    [care] = extract("bcc-social-care", [dict(forename="OLIVER", sex="M", date_of_birth="1990-03-07",
                                              fact_type="open-to-families-in-focus-or-social-care", **HOME)])
    run_match()
    assert person_of(tax) != person_of(care)
    assert _queued(tax, care)


def test_conflicting_identifiers_never_share_a_person_in_a_run(extract, run_match):
    a, c = extract("bcc-council-tax", [
        dict(forename="LEON", sex="M", date_of_birth="1975-03-02", nhs_number="9434765919", **HOME),
        dict(forename="LEON", sex="M", date_of_birth="1975-03-02", nhs_number="4857773456", **HOME),
    ])
    [b] = extract("asc-offenders", [dict(forename="LEON", sex="M", date_of_birth="1975-03-02",
                                          fact_type="person-committed-offence", **HOME)])
    run_match()
    assert person_of(a) != person_of(c)
    assert person_of(b) in {person_of(a), person_of(c)}


def test_a_person_known_by_their_middle_name_links_in_a_run(extract, run_match):
    """PATRICIA NICOLA BURTON and NICOLA BURTON, same date of birth and home, no identifiers: one person."""
    home = dict(surname="BURTON", postcode="BS3 1QD", address="4 Mill Lane")
    [tax, *_] = extract("bcc-council-tax", [dict(forename="PATRICIA", middle_names="Nicola", sex="F",
                                                 date_of_birth="1984-10-02", **home), *STRANGERS])
    [care] = extract("bcc-social-care", [dict(forename="NICOLA", sex="F", date_of_birth="1984-10-02",
                                              fact_type="open-to-families-in-focus-or-social-care", **home)])
    run_match()
    assert person_of(tax) == person_of(care)


def test_twins_whose_forename_is_the_others_middle_name_never_merge_in_a_run(extract, run_match):
    twins = [dict(forename="OSCAR", middle_names="James", sex="M", date_of_birth="2012-06-01", **HOME),
             dict(forename="JACK", middle_names="Oscar", sex="M", date_of_birth="2012-06-01", **HOME)]
    # with their own NHS numbers: apart, never queued
    oscar, jack = extract("bcc-council-tax", [twins[0] | {"nhs_number": "9434765919"},
                                              twins[1] | {"nhs_number": "9434765927"}])
    run_match()
    assert person_of(oscar) != person_of(jack)
    assert not _queued(oscar, jack)
    # without identifiers: not linked automatically; a reviewer decides
    oscar, jack = extract("bcc-council-tax", twins)
    run_match()
    assert person_of(oscar) != person_of(jack)
    assert _queued(oscar, jack)


STRANGERS = [
    dict(forename=f, surname=s, sex="F", date_of_birth=f"19{60 + i}-0{1 + i % 9}-1{i}", postcode=f"BS{i + 1} 1AA",
         address=f"{i + 1} Other Road")
    for i, (f, s) in enumerate([("MARY", "PATEL"), ("ANNE", "JONES"), ("RUTH", "EVANS"), ("ZARA", "KHAN"),
                                ("LILY", "BROWN"), ("EMMA", "DAVIES"), ("AMY", "REID"), ("JADE", "COLE")])
]


def test_a_sex_mismatch_alone_does_not_veto_a_pair_that_agrees_on_everything_else(extract, run_match):
    """With a few other people about, so that a name's term frequency is not 1 (as in any real extract)."""
    [tax, *_] = extract("bcc-council-tax", [dict(forename="JOSEPH", sex="M", date_of_birth="1979-05-05", **HOME), *STRANGERS])
    [care] = extract("bcc-social-care", [dict(forename="JOSEPH", sex="F", date_of_birth="1979-05-05",
                                              fact_type="open-to-families-in-focus-or-social-care", **HOME)])
    run_match()
    assert person_of(tax) == person_of(care)


def test_bounded_weights_survive_training():
    """Sex and identifier disagreement levels have fixed m: EM cannot turn them into a veto."""
    model = splink_model.settings_dict()
    fixed = {c["output_column_name"]: [lvl for lvl in c["comparison_levels"] if lvl.get("fix_m_probability")]
             for c in model["comparisons"]}
    assert [lvl["m_probability"] for lvl in fixed["sex"]] == [0.98, 0.02]
    for column in splink_model.STRONG_IDENTIFIERS:
        assert [lvl["m_probability"] for lvl in fixed[column]] == [0.01, 0.01]


# --- blocking: the pairs that no rule reached before --------------------------------------------

def _blocked_pairs(con, rows: list[dict]) -> set[tuple[int, int]]:
    """Build profiles from ``rows`` as a run does, and return the pairs Splink's prediction rules compare."""
    from apps.matching.profiles import IDENTITY_FIELDS
    from apps.sources import normalise

    columns = ", ".join(f"{f} {'DATE' if f == 'date_of_birth' else 'VARCHAR'}" for f in IDENTITY_FIELDS)
    con.execute(f"CREATE TABLE records (id BIGINT, dataset_id BIGINT, source_key VARCHAR, {columns}, middle_names VARCHAR)")
    for i, row in enumerate(rows, start=1):
        row = dict(row)
        row["address_key"] = normalise.address_key(row.pop("address", ""), row.get("postcode", ""))
        values = [row.get(f) for f in (*IDENTITY_FIELDS, "middle_names")]
        con.execute(f"INSERT INTO records VALUES (?, 1, ?, {', '.join('?' * len(values))})", [i, str(i), *values])
    profiles.build(con, "records", "profiles")
    model = splink_model.settings_dict(prior=0.001)
    linker, _ = splink_model._linker(con, "profiles", model)
    scored = linker.inference.predict(warning_mode="never")
    return set(con.execute(f"SELECT unique_id_l, unique_id_r FROM {scored.physical_name}").fetchall())


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_swapped_and_misspelt_names_are_compared(con):
    pairs = _blocked_pairs(con, [
        dict(forename="MOHAMMED", surname="KHAN", date_of_birth=dt.date(1985, 4, 2), postcode="BS5 0AA", address="1 Church Road"),
        dict(forename="KAHN", surname="MOHAMED", date_of_birth=dt.date(1985, 4, 2), postcode="BS16 2ZZ", address="88 Fishponds Road"),
    ])
    assert (1, 2) in pairs


def test_both_names_misspelt_without_a_date_of_birth_are_compared(con):
    pairs = _blocked_pairs(con, [
        dict(forename="CATHERINE", surname="WRIGHT", date_of_birth=dt.date(1979, 1, 9), postcode="BS3 4QQ", address="Flat 2, 7 Dean Lane"),
        dict(forename="KATHRINE", surname="RIGHT", date_of_birth=None, postcode="BS3 4QW", address="Flat 2 7 Dean Lane"),
    ])
    assert (1, 2) in pairs


def test_training_keeps_the_bounded_m_probabilities(con):
    """EM on data where sex and NHS number never disagree within a person (as the generator's) would learn
    m ~ 0 for "different", a veto; the fixed levels keep their m."""
    import random

    rng = random.Random(7)
    forenames = ["JACK", "OLIVIA", "NOAH", "AMELIA", "LEO", "ISLA", "OSCAR", "AVA", "GEORGE", "MIA", "ARTHUR", "IVY"]
    surnames = ["SMITH", "JONES", "TAYLOR", "BROWN", "WILSON", "EVANS", "THOMAS", "ROBERTS", "KHAN", "PATEL"]
    rows = []
    for person in range(300):
        f, s = rng.choice(forenames), rng.choice(surnames)
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(25000))
        sex, nhs = rng.choice("MF"), f"{rng.randrange(10**9, 10**10)}"
        for copy in range(2):
            rows.append(dict(forename=f if copy == 0 or rng.random() > 0.2 else f[:-1], surname=s, date_of_birth=dob,
                             sex=sex, nhs_number=nhs, postcode=f"BS{person % 30} 1AA", address=f"{person} High Street"))
    _blocked_pairs(con, rows)  # builds the profiles table
    model = splink_model.train(con, "profiles", caps=splink_model.TrainingCaps(u_max_pairs=1e5, em_max_pairs=1e5), prior=0.003)
    levels = {(c["output_column_name"], lvl.get("label_for_charts")): lvl for c in model["comparisons"]
              for lvl in c["comparison_levels"]}
    assert levels[("sex", "All other comparisons")]["m_probability"] == splink_model.SEX_DIFFERENT_M
    assert levels[("nhs_number", "All other comparisons")]["m_probability"] == splink_model.IDENTIFIER_DIFFERENT_M
    start = {(c["output_column_name"], lvl.get("label_for_charts")): lvl.get("m_probability")
             for c in splink_model.settings_dict()["comparisons"] for lvl in c["comparison_levels"]}
    assert any(lvl.get("m_probability") != start[key] for key, lvl in levels.items())  # EM did train the others
    assert splink_model.model_is_current(model)  # an incremental run may use it
    assert not splink_model.model_is_current({"comparisons": model["comparisons"][:-1]})
