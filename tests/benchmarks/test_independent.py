"""The independent benchmark's data: the second corruption model is deterministic, its errors are
really applied, and its files and the FEBRL conversion are accepted by the product's own importer."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.sources.models import SourceRecord
from benchmarks.independent import corrupt, errors, febrl
from benchmarks.independent.importformat import read_truth


@pytest.fixture(scope="module")
def generator_truth(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("truth")
    call_command("synth", scale="small", seed=11, people=400, out=str(out), stdout=io.StringIO())
    return out


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.glob("*.csv"))}


def test_same_truth_and_seed_give_identical_files_another_seed_does_not(generator_truth, tmp_path):
    corrupt.build(generator_truth, tmp_path / "a", seed=5)
    corrupt.build(generator_truth, tmp_path / "b", seed=5)
    corrupt.build(generator_truth, tmp_path / "c", seed=6)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert len(digests(tmp_path / "a")) == len(corrupt.PROFILES) + 1  # the extracts and truth.csv
    assert digests(tmp_path / "a") != digests(tmp_path / "c")


def test_every_extract_loads_and_every_record_has_its_true_person(generator_truth, tmp_path, db):
    manifest = corrupt.build(generator_truth, tmp_path, seed=5)
    truth = read_truth(tmp_path / "truth.csv")
    for dataset in corrupt.PROFILES:
        call_command("import_extract", dataset, str(tmp_path / f"{dataset}.csv"), stdout=io.StringIO())
    loaded = set(SourceRecord.objects.filter(batch__is_current=True).values_list("dataset__code", "source_key"))
    assert loaded == set(truth)
    assert sum(d["rows"] for d in manifest["datasets"].values()) == SourceRecord.objects.count()
    # the model's own errors were applied, and a person held twice in one dataset has two keys
    for kind in ("keyboard_typo", "name_variant", "dob_missing", "postcode_no_space", "duplicate_record"):
        assert manifest["applied"].get(kind, 0) > 0, kind
    with (tmp_path / "truth.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    doubled = [r for r in rows if "duplicate_record" in r["corruption"]]
    assert doubled and all(
        sum(1 for s in rows if s["dataset"] == d["dataset"] and s["person_id"] == d["person_id"]) >= 2 for d in doubled)


def test_error_functions_change_what_they_say():
    import random

    rng = random.Random(1)
    assert errors.swap_last_two("BS3 5FS") == "BS3 5SF"
    assert errors.drop_diacritics("Łukasz Wałęsa") == "Lukasz Walesa"
    assert errors.name_variant(rng, "Mohammed") != "Mohammed"
    assert errors.name_variant(rng, "MOHAMMED").isupper()
    typo = errors.keyboard_typo(rng, "Margaret")
    assert typo != "Margaret" and typo[0] == "M"
    assert errors.flat_variant(rng, "Flat 4A") != "Flat 4A"


FEBRL_SAMPLE = """rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id
rec-1-org, lachlan, berry, 69, giblin street, killarney, bittern, 4814, qld, 19990219, 7364009
rec-1-dup-0, lachlan, bery, 69, giblin street, killarney, bittern, 4841, qld, 19990219, 7364009
rec-2-org, , waller, 6, tullaroop street, willaroo, st james, 4011, wa, 19081209, 6988048
rec-3-org, deakin, , 48, goldfinch circuit, kooltuo, canterbury, 2776, vic, 19600231, 2635962
rec-4-org, sarah, bruhn, 44, forbes street, , kellerberrin, 451, vic, 19300299, 7535316
"""


def test_febrl_conversion_loads_with_the_documented_mapping(tmp_path, db):
    source = tmp_path / "febrl"
    source.mkdir()
    (source / "dataset1.csv").write_text(FEBRL_SAMPLE, encoding="utf-8")
    manifest = febrl.convert("febrl1", tmp_path / "out", febrl_dir=source)
    assert manifest["counts"]["left out: no surname"] == 1
    call_command("import_extract", "bcc-homeless-prevention", str(tmp_path / "out" / "bcc-homeless-prevention.csv"),
                 stdout=io.StringIO())
    records = {r.source_key: r for r in SourceRecord.objects.all()}
    assert set(records) == {"rec-1-org", "rec-1-dup-0", "rec-2-org", "rec-4-org"}
    assert read_truth(tmp_path / "out" / "truth.csv")[("bcc-homeless-prevention", "rec-1-dup-0")] == "febrl1-1"
    assert records["rec-1-org"].postcode == "AU48 1FZ" and records["rec-1-dup-0"].postcode == "AU48 4BZ"
    assert records["rec-4-org"].postcode == "" and records["rec-4-org"].date_of_birth is None
    assert str(records["rec-1-org"].date_of_birth) == "1999-02-19"
