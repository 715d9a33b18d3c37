"""Gazetteer import: bad rows refused with row, column and reason, nothing written; a new version replaces the old."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.gazetteer.models import GazetteerAddress, GazetteerVersion
from apps.gazetteer.services import GazetteerRefused, gazetteer_import

from .conftest import HEADER, ROWS, gazetteer_csv


def test_a_good_file_becomes_the_current_version_with_parents_and_an_audit_event(gazetteer):
    assert gazetteer.is_current and gazetteer.rows == len(ROWS)
    assert GazetteerAddress.objects.get(uprn="102").parent_uprn == "100"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT, subject_type="gazetteer",
                                     subject_id=str(gazetteer.pk)).count() == 1


def test_a_flat_without_parent_uprn_gets_its_buildings_entry(db):
    rows = ["1,,,,5,High Street,,Bristol,BS1 1AA,,", "2,,Flat 1,,5,High Street,,Bristol,BS1 1AA,,"]
    gazetteer_import(path_or_file=io.BytesIO(gazetteer_csv(rows)), filename="g.csv")
    assert GazetteerAddress.objects.get(uprn="2").parent_uprn == "1"


@pytest.mark.parametrize("row, column, reason", [
    ("abc,,,,1,High Street,,Bristol,BS1 1AA,,", "uprn", "UPRN must be 1 to 12 digits"),
    ("5,,,,1,,,Bristol,BS1 1AA,,", "street", "required and empty"),
    ("5,,,,1,High Street,,Bristol,NOT A CODE,,", "postcode", "not a UK postcode"),
    ("5,,,,,High Street,,Bristol,BS1 1AA,,", "building_number", "a property needs a building name or number"),
    ("5,,,,1,High Street,,Bristol,BS1 1AA,12x,3", "easting", "not a number"),
    ("5,,,,1,High Street,,Bristol,BS1 1AA,358000,", "northing", "coordinates need both"),
    ("5,999,Flat 1,,1,High Street,,Bristol,BS1 1AA,,", "parent_uprn", "no row of the file has this UPRN"),
    ("100,,,,1,High Street,,Bristol,BS1 1AA,,", "uprn", "the same UPRN is on row 2"),
])
def test_a_bad_row_refuses_the_whole_file_naming_row_column_and_reason(gazetteer, row, column, reason):
    rows = [*ROWS[:3], row, *ROWS[3:]]
    with pytest.raises(GazetteerRefused) as refused:
        gazetteer_import(path_or_file=io.BytesIO(gazetteer_csv(rows)), filename="bad.csv")
    [problem] = refused.value.problems.listed
    assert (problem.row, problem.column) == (5, column) and reason in problem.reason
    # nothing written: the previous version is still the one in use, whole
    assert list(GazetteerVersion.objects.values_list("pk", "is_current")) == [(gazetteer.pk, True)]
    assert GazetteerAddress.objects.count() == len(ROWS)


def test_a_missing_required_column_is_named(db):
    with pytest.raises(GazetteerRefused) as refused:
        gazetteer_import(path_or_file=io.BytesIO(b"uprn,street\n1,High Street\n"), filename="bad.csv")
    assert [(p.row, p.column) for p in refused.value.problems.listed] == [(0, "town")]


def test_a_new_version_replaces_the_old_one_whole(gazetteer):
    newer = gazetteer_import(path_or_file=io.BytesIO(gazetteer_csv(ROWS[:2])), filename="newer.csv")
    assert list(GazetteerVersion.objects.filter(is_current=True)) == [newer]
    assert set(GazetteerAddress.objects.values_list("version_id", "uprn")) == {(newer.pk, "100"), (newer.pk, "101")}


def test_the_same_file_again_changes_nothing(gazetteer):
    again = gazetteer_import(path_or_file=io.BytesIO(gazetteer_csv()), filename="llpg.csv")
    assert again.pk == gazetteer.pk and GazetteerVersion.objects.count() == 1


def test_the_command_lists_the_problems_and_exits_non_zero(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes((HEADER + "1,,,,1,High Street,,,BS1 1AA,,\n").encode())
    with pytest.raises(CommandError, match=r"row 2, town: required and empty"):
        call_command("import_gazetteer", path)
    assert not GazetteerVersion.objects.exists()
