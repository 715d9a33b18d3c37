"""Address and family figures against the synthetic generator's ground truth (benchmarks only; the app never reads it).

* ``uprn_accuracy``: for every agency record (dataset + source key) the generator knows the
  property its address is (``ground_truth/records.csv``, column ``uprn``). The UPRN the system gives
  it is the one sent, when the gazetteer has it, else its address's usable resolution. Also: the
  records whose address the projection placed (residence records: their address spell), after a
  building sent without its flat has been placed in the person's flat.
* ``family_figures``: current families, true against formed. Linear: each family is a frozenset
  of persons, the formed ones are hashed once, and a true family is recovered exactly when its set
  is among them (no true x formed comparison).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from math import comb
from pathlib import Path

from apps.common.identifiers import uprn_normalise
from apps.people.models import AddressHistory, FamilyMembership
from apps.sources.models import SourceRecord

from .models import AddressResolution, GazetteerAddress


def _true_uprns(truth_dir: Path) -> dict[tuple[str, str], str]:
    with (truth_dir / "records.csv").open(encoding="utf-8") as handle:
        return {(r["dataset"], r["source_key"]): uprn_normalise(r["uprn"]) for r in csv.DictReader(handle) if r.get("uprn")}


def uprn_accuracy(truth_dir: Path) -> dict:
    truth = _true_uprns(truth_dir)
    in_gazetteer = set(GazetteerAddress.objects.filter(version__is_current=True).values_list("uprn", flat=True))
    resolution = {k: (u, s) for k, u, s in AddressResolution.objects.values_list("address_key", "uprn", "status")}
    parent_of = dict(GazetteerAddress.objects.filter(version__is_current=True).exclude(parent_uprn="")
                     .values_list("uprn", "parent_uprn"))
    outcome: Counter[str] = Counter()
    without_uprn: Counter[str] = Counter()
    seen = set()
    rows = SourceRecord.objects.exclude(address_key="").values_list("dataset__code", "source_key", "address_key", "uprn")
    for code, key, address_key, sent in rows.iterator(chunk_size=20_000):
        unit = (code, key)
        if unit in seen or unit not in truth:
            continue
        seen.add(unit)
        uprn, status = resolution.get(address_key, ("", "missing"))
        if sent and sent in in_gazetteer:
            got, how = sent, "sent"
        elif status in AddressResolution.USABLE and uprn:
            got, how = uprn, "resolved"
        else:
            got, how = "", status
        true = truth[unit]
        if got == true:
            result = "correct"
        elif not got:
            result = f"not resolved ({how})"
        elif parent_of.get(true) == got:
            result = "the building of the true flat"
        else:
            result = "wrong"
        outcome[result] += 1
        if how != "sent":
            without_uprn[result] += 1
    spells = AddressHistory.objects.filter(source_record__isnull=False).values_list(
        "source_record__dataset__code", "source_record__source_key", "address__uprn")
    placed = Counter()
    for code, key, got in spells.iterator(chunk_size=20_000):
        if (code, key) in truth:
            placed["correct" if got == truth[(code, key)] else "wrong"] += 1
    total, total_without = sum(outcome.values()), sum(without_uprn.values())
    return {
        "records": total, "accuracy": outcome["correct"] / max(total, 1), "outcomes": dict(outcome.most_common()),
        "records_without_a_usable_sent_uprn": total_without,
        "accuracy_without_sent_uprn": without_uprn["correct"] / max(total_without, 1),
        "residence_spells": sum(placed.values()), "residence_spell_accuracy": placed["correct"] / max(sum(placed.values()), 1),
        "queue": AddressResolution.objects.filter(status=AddressResolution.Status.REVIEW).count(),
        "distinct_addresses": len(resolution),
    }


def placed_accuracy(truth_dir: Path, chunks) -> dict:
    """Address -> UPRN after the projection placed each record (a building sent without its flat becomes the person's
    flat). ``chunks`` yields ``{record id: home UPRN}`` (the projection's ``record_homes``) for every linked record."""
    truth = _true_uprns(truth_dir)
    seen, outcome = set(), Counter()
    for homes in chunks:
        ids = list(homes)
        for start in range(0, len(ids), 5000):
            for pk, code, key in SourceRecord.objects.filter(pk__in=ids[start:start + 5000]).values_list(
                    "pk", "dataset__code", "source_key"):
                if (code, key) in truth and (code, key) not in seen:
                    seen.add((code, key))
                    outcome["correct" if homes[pk] == truth[(code, key)] else "wrong" if homes[pk] else "none"] += 1
    linked_units = SourceRecord.objects.filter(person__isnull=False).exclude(address_key="").values_list(
        "dataset__code", "source_key").distinct()
    total = sum(1 for unit in linked_units.iterator(chunk_size=20_000) if unit in truth)
    outcome["none"] += total - sum(outcome.values())
    return {"records": total, "accuracy": outcome["correct"] / max(total, 1), "outcomes": dict(outcome)}


def family_figures(truth_dir: Path, golden_of_true: dict[str, int]) -> dict:
    """Current families: co-member pairs and families recovered exactly. ``golden_of_true``: true person id -> the
    golden person most of their records were linked to."""
    true_families: dict[str, set] = defaultdict(set)
    with (truth_dir / "households.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["is_family"] == "1" and not row["date_to"] and row["person_id"] in golden_of_true:
                true_families[row["household_id"]].add(golden_of_true[row["person_id"]])
    true_of = {p: h for h, members in true_families.items() for p in members}
    # current members of open families: a member who moved out keeps a membership with its end date
    current = FamilyMembership.objects.filter(family__household__date_to__isnull=True, family__status="open",
                                              date_to__isnull=True)
    predicted: dict[int, set] = defaultdict(set)
    for family, person in current.values_list("family_id", "person_id").iterator(chunk_size=20_000):
        predicted[family].add(person)
    formed = {frozenset(m) for m in predicted.values()}
    exact = sum(1 for members in true_families.values() if frozenset(members) in formed)
    tp = 0
    for members in predicted.values():  # pairs within one formed family that share a true family
        tp += sum(comb(n, 2) for n in Counter(true_of[p] for p in members if p in true_of).values())
    pp = sum(comb(len(m), 2) for m in predicted.values())
    tt = sum(comb(len(m), 2) for m in true_families.values())
    p, r = tp / max(pp, 1), tp / max(tt, 1)
    return {"formed": len(predicted), "true": len(true_families), "pairs_precision": p, "pairs_recall": r,
            "pairs_f1": 2 * p * r / max(p + r, 1e-9), "recovered_exactly": exact / max(len(true_families), 1)}
