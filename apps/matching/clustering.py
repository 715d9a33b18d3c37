"""Clustering scored pairs into persons, and keeping person ids stable across runs.

Pure Python over integer ids, no Django and no DuckDB, so the rules are easy to test.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from jellyfish import damerau_levenshtein_distance

from apps.common.names import nickname_keys, phonetic, similarity


def dates_of_birth_compatible(a: dt.date, b: dt.date) -> bool:
    """Whether one keying slip explains the difference between two dates of birth.

    The same levels as the date of birth comparison short of its ELSE level
    (``splink_model.DOB_NEAR_LEVELS``): equal, day and month transposed, one
    character different, year off by one, within a week; and a 1 January date is
    compatible with any date of its year (a placeholder for an unknown day and month,
    ``splink_model.DOB_PLACEHOLDER_SQL``).
    """
    return (
        a == b
        or (a.year == b.year and ((a.month, a.day) == (1, 1) or (b.month, b.day) == (1, 1)))
        or (a.year == b.year and a.month == b.day and a.day == b.month)
        or damerau_levenshtein_distance(a.isoformat(), b.isoformat()) <= 1
        or (a.month == b.month and a.day == b.day and abs(a.year - b.year) == 1)
        or abs((a - b).days) <= 7
    )


def identifiers_conflict(a: str, b: str) -> bool:
    """Two values of one strong identifier (NHS number, UPN, NI number) that no single keying slip explains.

    The guard's test (``splink_model.IDENTIFIER_CONFLICT_SQL``): Damerau-Levenshtein distance above 1.
    Numbers issued one after the other (twins' NHS numbers, siblings' UPNs) differ in the last
    digit and the check character, so they conflict.
    """
    return a != b and damerau_levenshtein_distance(a, b) > 1


Name = tuple[str | None, str | None] | tuple[str | None, str | None, tuple[str, ...]]


def _keys(names: Iterable[str]) -> set[str]:
    return {k for n in names for k in nickname_keys(n)}


def forename_is_middle_name(forename_a: str, middle_a: Sequence[str], forename_b: str, middle_b: Sequence[str]) -> bool:
    """Whether one forename is one of the other record's middle names (or a nickname of one), and the middle
    names do not give two people: the guard's test (``splink_model.FORENAME_IS_MIDDLE_NAME_SQL``)."""
    a_in_b = bool(set(nickname_keys(forename_a)) & _keys(middle_b))
    b_in_a = bool(set(nickname_keys(forename_b)) & _keys(middle_a))
    if not (a_in_b or b_in_a):
        return False
    return not middle_a or not middle_b or (a_in_b and b_in_a) or bool(set(middle_a) & set(middle_b))


def forenames_compatible(a: Name, b: Name) -> bool:
    """Whether two (forename, surname[, middle names]) may name one person by their forenames.

    The guard's test (``splink_model.FORENAMES_COMPATIBLE_SQL``) short of initials:
    equal, nickname variants, Jaro-Winkler >= 0.80, same Metaphone code, forename
    and surname swapped (each Jaro-Winkler >= 0.88 or a nickname), or one forename
    the other's middle name (``forename_is_middle_name``).
    """
    fa, sa, fb, sb = a[0], a[1], b[0], b[1]
    if not fa or not fb:
        return True

    def near(x: str | None, y: str | None, jw: float) -> bool:
        return bool(x and y) and (
            x == y or similarity(x, y) >= jw or bool(set(nickname_keys(x)) & set(nickname_keys(y)))
        )

    return (
        near(fa, fb, 0.80) or phonetic(fa) == phonetic(fb)
        or (near(fa, sb, SWAP_JW) and near(sa, fb, SWAP_JW))
        or forename_is_middle_name(fa, a[2] if len(a) > 2 else (), fb, b[2] if len(b) > 2 else ())
    )


SWAP_JW = 0.88  # as splink_model.SWAP_JW (that module needs DuckDB and Splink; this one does not)

Edge = tuple[int, int, float] | tuple[int, int, float, bool]


def cluster(
    nodes: Iterable[int],
    edges: Iterable[Edge],
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    dates_of_birth: Mapping[int, dt.date | None] | None = None,
    identifiers: Mapping[int, Sequence[str | None]] | None = None,
    names: Mapping[int, Name] | None = None,
) -> dict[int, int]:
    """Connected components with constraints: ``{node: cluster id}`` (the cluster's smallest node).

    Must-link pairs are joined first. Then edges are added strongest first, and an
    edge is skipped when it would put two nodes of a cannot-link pair in one
    cluster, so a reviewer's "not the same person" holds even when a chain of
    other links would have joined them.

    With ``identifiers`` (node -> (NHS number, UPN, NI number), None where missing),
    an edge is skipped when the two clusters hold values of one identifier that
    conflict (``identifiers_conflict``): the check is on the clusters, not only the
    pair, so A~B~C does not join A and C when A's and C's NHS numbers differ.

    With ``dates_of_birth`` (node -> date), an edge is also skipped when no date of
    birth of one cluster is a keying slip away from any of the other's: a record
    without a date of birth cannot chain a parent and the child named after them.
    An edge may carry a fourth element, True when a strong identifier agrees on
    the pair: such an edge is not held back by the dates of birth (the identifier
    outweighs a mis-keyed date). (A cluster a reviewer joined may hold unrelated
    dates; a record agreeing with one of them may still join it.) With none of
    these this is plain connected components at the threshold the edges were cut at.

    With ``names`` (node -> (forename, surname) or (forename, surname, middle names)), an edge is also skipped, unless a
    strong identifier agrees on it, when one of the clusters holds a forename written
    as an initial, both hold forenames written in full, and none of one cluster's is
    compatible with any of the other's (``forenames_compatible``). A record with an
    initial ("J SMITH") is compatible with JOHN and with JAMES (the guard links it),
    but cannot chain twins John and James into one person. (Applied only where an
    initial is involved: applied to every merge it also split chains of misspelt
    forenames, and cost recall on an independent benchmark.)
    """
    parent: dict[int, int] = {n: n for n in nodes}
    forbidden: dict[int, set[int]] = defaultdict(set)  # root -> nodes its cluster may not join
    members: dict[int, list[int]] = {}
    dobs: dict[int, set[dt.date]] = {}  # root -> the cluster's known dates of birth
    for node, dob in (dates_of_birth or {}).items():
        if dob is not None and node in parent:
            dobs[node] = {dob}
    ids: dict[int, tuple[frozenset[str], ...]] = {}  # root -> per identifier kind, the cluster's values
    for node, values in (identifiers or {}).items():
        if node in parent and any(values):
            ids[node] = tuple(frozenset({v}) if v else frozenset() for v in values)

    full_names: dict[int, set[Name]] = {}  # root -> the cluster's forenames written in full
    initials: set[int] = set()  # roots of clusters holding a forename written as an initial
    for node, name in (names or {}).items():
        forename = name[0]
        if node in parent and forename and len(forename) > 1:
            full_names[node] = {tuple(name)}
        elif node in parent and forename:
            initials.add(node)

    def names_conflict(ra: int, rb: int) -> bool:
        if ra not in full_names or rb not in full_names or not (ra in initials or rb in initials):
            return False
        return not any(forenames_compatible(x, y) for x in full_names[ra] for y in full_names[rb])

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in cannot_link:
        if a in parent and b in parent and a != b:
            forbidden[a].add(b)
            forbidden[b].add(a)

    def ids_conflict(ra: int, rb: int) -> bool:
        if ra not in ids or rb not in ids:
            return False
        return any(
            identifiers_conflict(x, y) for xs, ys in zip(ids[ra], ids[rb], strict=True) for x in xs for y in ys
        )

    def union(a: int, b: int, *, check: bool, identifier_agrees: bool = False) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        if check and (forbidden.get(ra) or forbidden.get(rb)):
            members_a = members.get(ra, [ra])
            members_b = set(members.get(rb, [rb]))
            if forbidden.get(ra, set()) & members_b or any(m in forbidden.get(rb, ()) for m in members_a):
                return
        if check and ids_conflict(ra, rb):
            return
        if check and not identifier_agrees and names_conflict(ra, rb):
            return
        if (check and not identifier_agrees and ra in dobs and rb in dobs and dobs[ra] != dobs[rb]
                and not any(dates_of_birth_compatible(a, b) for a in dobs[ra] for b in dobs[rb])):
            return
        if len(members.get(ra, [ra])) < len(members.get(rb, [rb])):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] = members.pop(ra, [ra]) + members.pop(rb, [rb])
        if rb in forbidden:
            forbidden[ra] |= forbidden.pop(rb)
        if rb in dobs:
            dobs[ra] = dobs.get(ra, set()) | dobs.pop(rb)
        if rb in initials:
            initials.discard(rb)
            initials.add(ra)
        if rb in full_names:
            full_names[ra] = full_names.get(ra, set()) | full_names.pop(rb)
        if rb in ids:
            mine = ids.get(ra)
            ids[ra] = tuple(x | y for x, y in zip(mine, ids.pop(rb), strict=True)) if mine else ids.pop(rb)

    for a, b in must_link:
        if a in parent and b in parent:
            union(a, b, check=False)
    for edge in sorted(edges, key=lambda e: -e[2]):
        union(edge[0], edge[1], check=True, identifier_agrees=len(edge) > 3 and bool(edge[3]))

    roots: dict[int, int] = {}
    result = {}
    for node in sorted(parent):
        root = find(node)
        result[node] = roots.setdefault(root, node)
    return result


@dataclass
class IdAssignment:
    """How new clusters map onto existing person ids."""

    person_for_cluster: dict[int, int]  # cluster -> existing person id it continues
    new_clusters: list[int]  # clusters that need a new person
    merges: list[tuple[int, int, int]] = field(default_factory=list)  # (old person, surviving cluster, records)
    splits: list[tuple[int, int, int]] = field(default_factory=list)  # (old person, new cluster, records)


def assign_person_ids(record_cluster: dict[int, int], record_person: dict[int, int | None]) -> IdAssignment:
    """Give each new cluster the id of the existing person it overlaps most.

    ``record_cluster`` maps every record to its new cluster; ``record_person``
    maps records to the person they were linked to before (None if new).
    Overlaps are taken largest first (ties: smaller person id, then smaller
    cluster), each person id going to at most one cluster. Afterwards:

    * an old person whose records are all in clusters that kept another id was
      *merged* (into the cluster holding most of its records);
    * records of an old person that landed in a cluster which is not that
      person's continuation were *split off* to it - recorded when the old
      person lives on elsewhere (otherwise it is a merge, above).
    """
    overlap: Counter[tuple[int, int]] = Counter()
    for record, cluster_id in record_cluster.items():
        person = record_person.get(record)
        if person is not None:
            overlap[(cluster_id, person)] += 1
    ranked = sorted(overlap.items(), key=lambda item: (-item[1], item[0][1], item[0][0]))
    person_for_cluster: dict[int, int] = {}
    taken: set[int] = set()
    for (cluster_id, person), _ in ranked:
        if cluster_id in person_for_cluster or person in taken:
            continue
        person_for_cluster[cluster_id] = person
        taken.add(person)

    clusters = sorted(set(record_cluster.values()))
    new_clusters = [c for c in clusters if c not in person_for_cluster]
    merges, splits = [], []
    by_person: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (cluster_id, person), count in overlap.items():
        by_person[person].append((cluster_id, count))
    for person, spread in sorted(by_person.items()):
        elsewhere = sorted((c, n) for c, n in spread if person_for_cluster.get(c) != person)
        if person not in taken:
            target, count = max(elsewhere, key=lambda cn: (cn[1], -cn[0]))
            merges.append((person, target, count))
            elsewhere = [(c, n) for c, n in elsewhere if c != target]
            # the rest of a merged person's records went to yet other clusters: split from it
        splits.extend((person, c, n) for c, n in elsewhere)
    return IdAssignment(person_for_cluster, new_clusters, merges, splits)
