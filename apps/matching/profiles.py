"""Identity profiles, and the constraints on clustering them, in a run's DuckDB tables.

Records with identical identity fields (``IDENTITY_FIELDS``) are one *profile*,
whose id is its smallest record id, so the 40 event rows one person has in one
dataset are scored once. Name keys (phonetic code, nickname variants) are computed
once per distinct name. Clustering is bound by must-links (reviewers' "same
person", rows of one agency record, an existing person's profiles in an
incremental run) and cannot-links (reviewers' "not the same person").
"""

from __future__ import annotations

import pyarrow as pa

from apps.common.names import nickname_keys, normalise_name, phonetic
from apps.sources.models import Dataset

from .models import ReviewDecision

# A date of birth in 1900 or earlier is a system's placeholder (no one it concerns was born then): read as missing.
PLACEHOLDER_BIRTH_YEAR = 1900

IDENTITY_FIELDS = (
    "forename", "surname", "date_of_birth", "sex", "postcode", "address_key", "uprn", "nhs_number", "upn", "ni_number",
)


def build(con, records: str, profiles: str) -> int:
    """One profile per distinct identity; ``{records}.profile_id`` is set. Returns the profile count."""
    fields = ", ".join(IDENTITY_FIELDS)
    con.execute(
        f"CREATE OR REPLACE TABLE {records} AS SELECT *, "
        f"min(id) OVER (PARTITION BY {fields}) AS profile_id FROM {records}"
    )
    names = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT n FROM (SELECT forename AS n FROM {records} UNION SELECT surname FROM {records}) "
            "WHERE n IS NOT NULL"
        ).fetchall()
    ]
    keys = pa.table(
        {
            "name": pa.array(names, type=pa.string()),
            "phonetic": pa.array([phonetic(n) or None for n in names], type=pa.string()),
            "variants": pa.array([nickname_keys(n) or None for n in names], type=pa.list_(pa.string())),
        }
    )
    con.register("name_keys_arrow", keys)
    _middle_names(con, records)
    building = "concat_ws('|', split_part(p.address_key, '|', 1), split_part(p.address_key, '|', 2), " \
        "split_part(p.address_key, '|', 3))"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {profiles} AS
        SELECT p.profile_id AS unique_id, p.forename, p.surname,
               fk.phonetic AS forename_phonetic, sk.phonetic AS surname_phonetic,
               fk.variants AS forename_variants, sk.variants AS surname_variants,
               CASE WHEN year(p.date_of_birth) > {PLACEHOLDER_BIRTH_YEAR} THEN p.date_of_birth END AS date_of_birth,
               p.sex, p.postcode,
               CASE WHEN p.postcode LIKE '% %' THEN left(p.postcode, strpos(p.postcode, ' ') + 1) END
                   AS postcode_sector,
               p.address_key,
               CASE WHEN {building} <> '||' THEN {building} || '|' || split_part(p.address_key, '|', 4) END
                   AS address_line,
               CASE WHEN {building} <> '||' THEN {building} END AS address_building,
               NULLIF(split_part(p.address_key, '|', 4), '') AS street,
               p.uprn, p.nhs_number, p.upn, p.ni_number,
               m.middle_names, m.middle_name_variants
        FROM (SELECT DISTINCT profile_id, {fields} FROM {records}) p
        LEFT JOIN name_keys_arrow fk ON fk.name = p.forename
        LEFT JOIN name_keys_arrow sk ON sk.name = p.surname
        LEFT JOIN profile_middle_names m ON m.profile_id = p.profile_id
        """
    )
    con.unregister("name_keys_arrow")
    con.execute("DROP TABLE profile_middle_names")
    return con.execute(f"SELECT count(*) FROM {profiles}").fetchall()[0][0]


def middle_name_tokens(value: str | None) -> list[str]:
    """The middle names of a row as sent, normalised as forenames are, one a token; initials are left out.

    >>> middle_name_tokens("nicola  jane")
    ['NICOLA', 'JANE']
    >>> middle_name_tokens("J. Anne-Marie")
    ['ANNE-MARIE']
    """
    return [token for token in normalise_name(value).split(" ") if len(token) > 1]


def _middle_names(con, records: str) -> None:
    """Table ``profile_middle_names``: per profile, its records' middle names (``middle_names``, VARCHAR[]) and
    the nickname keys of each (``middle_name_variants``), compared with the forenames by the family guard.

    Records with identical identity fields are one profile even if their middle names differ: the
    profile carries all of them. A profile without middle names has no row (NULL lists).
    """
    raws = [row[0] for row in con.execute(
        f"SELECT DISTINCT middle_names FROM {records} WHERE middle_names IS NOT NULL").fetchall()]
    tokens = [middle_name_tokens(raw) for raw in raws]
    table = pa.table({
        "raw": pa.array(raws, type=pa.string()),
        "tokens": pa.array(tokens, type=pa.list_(pa.string())),
        "variants": pa.array([sorted({k for t in ts for k in nickname_keys(t)}) for ts in tokens],
                             type=pa.list_(pa.string())),
    })
    con.register("middle_keys_arrow", table)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE profile_middle_names AS
        SELECT r.profile_id, list_distinct(flatten(list(k.tokens))) AS middle_names,
               list_distinct(flatten(list(k.variants))) AS middle_name_variants
        FROM {records} r JOIN middle_keys_arrow k ON k.raw = r.middle_names
        WHERE len(k.tokens) > 0
        GROUP BY r.profile_id
        """
    )
    con.unregister("middle_keys_arrow")


def of_records(con, records: str) -> dict[int, int]:
    return dict(con.execute(f"SELECT id, profile_id FROM {records}").fetchall())


def agency_key_links(con, records: str) -> list[tuple[int, int]]:
    """Must-links between profiles that share a dataset and source key.

    A source key is the agency's own record of one person (docs/data-formats.md),
    so its rows are one person even when they disagree on a name or an address.
    """
    return con.execute(
        f"""
        SELECT DISTINCT min(profile_id) OVER (PARTITION BY dataset_id, source_key), profile_id
        FROM {records} WHERE source_key IS NOT NULL
        QUALIFY profile_id <> min(profile_id) OVER (PARTITION BY dataset_id, source_key)
        """
    ).fetchall()


def dates_of_birth(con, profiles: str) -> dict[int, object]:
    """{profile id: date of birth} for the profiles that have one (clustering keeps them consistent)."""
    return dict(con.execute(f"SELECT unique_id, date_of_birth FROM {profiles} WHERE date_of_birth IS NOT NULL").fetchall())


def identifiers(con, profiles: str) -> dict[int, tuple[str | None, str | None, str | None]]:
    """{profile id: (NHS number, UPN, NI number)} for the profiles that carry one (clustering keeps them consistent)."""
    return {
        uid: (nhs, upn, ni)
        for uid, nhs, upn, ni in con.execute(
            f"SELECT unique_id, nhs_number, upn, ni_number FROM {profiles} "
            "WHERE nhs_number IS NOT NULL OR upn IS NOT NULL OR ni_number IS NOT NULL"
        ).fetchall()
    }


def names(con, profiles: str) -> dict[int, tuple[str | None, str | None, tuple[str, ...]]]:
    """{profile id: (forename, surname, middle names)} for the profiles with a forename (clustering keeps
    forenames consistent)."""
    return {
        uid: (forename, surname, tuple(middle or ()))
        for uid, forename, surname, middle in con.execute(
            f"SELECT unique_id, forename, surname, middle_names FROM {profiles} WHERE forename IS NOT NULL"
        ).fetchall()
    }


def decided_pairs(con, records: str) -> list[tuple[int, int, str]]:
    """Reviewers' decisions as profile pairs: (profile, profile, outcome), the smaller profile first.

    A decision names two agency records by dataset code and source key, so it binds
    whichever rows of those keys are current, however often their extracts were
    replaced. A key's rows may fall into several profiles; every pair of them is
    given. Pairs inside one profile cannot be told apart and are left out.
    """
    codes = dict(Dataset.objects.values_list("code", "pk"))
    decisions = list(
        ReviewDecision.objects.values_list("low_dataset_id", "low_source_key", "high_dataset_id", "high_source_key", "outcome")
    )
    if not decisions:
        return []
    columns = list(zip(*decisions, strict=True))
    table = pa.table({
        "low_dataset": pa.array([codes[c] for c in columns[0]], type=pa.int64()),
        "low_key": pa.array(columns[1], type=pa.string()),
        "high_dataset": pa.array([codes[c] for c in columns[2]], type=pa.int64()),
        "high_key": pa.array(columns[3], type=pa.string()),
        "outcome": pa.array(columns[4], type=pa.string()),
    })
    con.register("decisions_arrow", table)
    try:
        return con.execute(
            f"""
            SELECT DISTINCT least(l.profile_id, h.profile_id), greatest(l.profile_id, h.profile_id), d.outcome
            FROM decisions_arrow d
            JOIN {records} l ON l.dataset_id = d.low_dataset AND l.source_key = d.low_key
            JOIN {records} h ON h.dataset_id = d.high_dataset AND h.source_key = d.high_key
            WHERE l.profile_id <> h.profile_id
            """
        ).fetchall()
    finally:
        con.unregister("decisions_arrow")


def constraints(decided: list[tuple[int, int, str]]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Match / not-a-match decisions as (must-link, cannot-link) profile pairs; "not sure" binds nothing."""
    must = [(a, b) for a, b, outcome in decided if outcome == ReviewDecision.Outcome.MATCH]
    cannot = [(a, b) for a, b, outcome in decided if outcome == ReviewDecision.Outcome.NOT_MATCH]
    return must, cannot


def same_person_links(con, nodes: set[int]) -> list[tuple[int, int]]:
    """Must-links joining the existing profiles among ``nodes`` that belong to one person.

    An incremental run does not merge or split persons, so an existing person is
    one cluster here: a "not the same person" decision against one of its records
    keeps a new record away from all of them.
    """
    con.register("nodes_arrow", pa.table({"profile_id": pa.array(sorted(nodes), type=pa.int64())}))
    try:
        rows = con.execute(
            "SELECT r.profile_id, min(r.person_id) FROM records r JOIN nodes_arrow n USING (profile_id) "
            "WHERE r.person_id IS NOT NULL GROUP BY r.profile_id ORDER BY 1"
        ).fetchall()
    finally:
        con.unregister("nodes_arrow")
    first: dict[int, int] = {}
    links = []
    for profile, person in rows:
        if person in first:
            links.append((first[person], profile))
        else:
            first[person] = profile
    return links
