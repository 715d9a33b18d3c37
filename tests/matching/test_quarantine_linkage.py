"""Rows that reach matching by the new import paths: a dataset that leaves surname optional, and a quarantined row
corrected by the data quality officer. Both link through the normal runs."""

from __future__ import annotations

import pytest

from apps.sources.models import Dataset, ImportBatch, QuarantinedRow, SourceRecord
from apps.sources.quarantine import services as quarantine
from apps.sources.specs import dataset_spec
from tests.factories import dataset_bad_rows_set, dataset_column_optional

from .conftest import person_of
from .test_decisions import ANNA, LEE, OFFENCE

POLICE = "asc-offenders"


@pytest.fixture
def surname_optional(db):
    dataset_column_optional(POLICE, "surname")


def test_rows_without_a_surname_import_and_link(import_extract, run_match, surname_optional):
    mia = dict(forename="MIA", surname="OKAFOR", sex="F", date_of_birth="2009-06-21", postcode="BS5 6XY",
               address="12 MILL LANE", date_from="2020-01-01")
    [anna_tax, lee_tax, mia_tax] = import_extract("bcc-council-tax", [ANNA | {"source_key": "T1"}, LEE | {"source_key": "T2"},
                                                                      mia | {"source_key": "T3"}])
    police = import_extract(POLICE, [
        ANNA | OFFENCE | {"source_key": "P1", "surname": ""},  # no surname: same forename, date of birth, address
        LEE | OFFENCE | {"source_key": "P2"},
        mia | OFFENCE | {"source_key": "P3", "surname": "", "forename": "ZOE"},  # no surname and another forename
    ])
    assert [r.surname for r in police] == ["", "JONES", ""]

    run_match()

    anna_police, lee_police, zoe_police = police
    assert person_of(anna_police) == person_of(anna_tax)
    assert person_of(lee_police) == person_of(lee_tax)
    assert person_of(zoe_police) not in {None, person_of(mia_tax), person_of(anna_tax)}  # a person of her own
    assert person_of(anna_tax) != person_of(lee_tax)


def test_rows_without_a_surname_link_in_an_incremental_run_too(import_extract, run_match, surname_optional):
    [anna_tax, _] = import_extract("bcc-council-tax", [ANNA | {"source_key": "T1"}, LEE | {"source_key": "T2"}])
    import_extract(POLICE, [LEE | OFFENCE | {"source_key": "P2"}])
    run_match()
    [anna_police, _lee] = import_extract(POLICE, [ANNA | OFFENCE | {"source_key": "P1", "surname": ""},
                                                  LEE | OFFENCE | {"source_key": "P2"}])
    run_match(POLICE)
    assert person_of(anna_police) == person_of(anna_tax)


def test_a_corrected_quarantined_row_is_linked_by_the_incremental_run(import_extract, run_match, tmp_path, users):
    from apps.sources.services import import_batch_load

    [_, lee_tax] = import_extract("bcc-council-tax", [ANNA | {"source_key": "T1"}, LEE | {"source_key": "T2"}])
    dataset_bad_rows_set(POLICE, 'quarantine')
    spec = dataset_spec(POLICE)
    assert spec.columns[:12] == ("source_key", "forename", "middle_names", "surname", "date_of_birth", "sex", "address",
                                 "postcode", "ni_number", "event_date", "event_type", "reference")
    rows = [["P1", "ANNA", "", "NOWAK", "14/09/1988", "F", "3 ELM ROAD", "BS4 2AB", "", "04/03/2024",
             spec.event_types[0], "CR-1"],
            ["P2", "LEE", "", "JONES", "1975-02-11", "M", "40 OAK AVENUE", "BS7 8DD", "", "04/03/2024",
             spec.event_types[0], "CR-2"],  # a date of birth in the wrong format
            ["P3", "ANNA", "", "NOWAK", "14/09/1988", "F", "3 ELM ROAD", "BS4 2AB", "", "15/03/2024",
             spec.event_types[0], "CR-3"]]
    path = tmp_path / "offenders.csv"
    path.write_text("\r\n".join(",".join(r) for r in [list(spec.columns), *rows]) + "\r\n", encoding="utf-8")
    batch = import_batch_load(dataset=Dataset.objects.get(code=POLICE), path_or_file=path)
    assert (batch.status, batch.rows_loaded, batch.rows_quarantined) == (ImportBatch.Status.LOADED, 2, 1), batch.errors
    run_match()

    row = QuarantinedRow.objects.get(batch=batch)
    values = dict(zip(row.columns, quarantine.row_values(row), strict=True)) | {"date_of_birth": "11/02/1975"}
    record = quarantine.quarantined_row_correct(row=row, values=values, user=users["data-quality-officer"])
    assert record.person_id is None
    run = run_match(POLICE)

    assert run.counts["records"] == 1  # only the corrected row was new
    assert person_of(record) == person_of(lee_tax)
    assert SourceRecord.objects.filter(batch=batch).count() == 3
