"""The quarantined rows on the data-quality page (no values) and the row's own page (the data quality officer's:
the row as received, correct or discard), audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.sources.models import QuarantinedRow, SourceRecord
from tests.factories import dataset_bad_rows_set
from thinkfamily import orchestration

from .test_import import DATASET, extract_bytes, load


@pytest.fixture
def row(db, tmp_path):
    dataset_bad_rows_set(DATASET, 'quarantine')
    batch = load(tmp_path, extract_bytes(rows=5, changes={3: {"surname": "Quarantello", "date_of_birth": "2010-04-03"}}))
    return QuarantinedRow.objects.get(batch=batch)


def url(row) -> str:
    return reverse("sources:quarantined_row", args=[row.pk])


def test_the_data_quality_page_lists_the_rows_waiting_by_row_column_and_reason_never_a_value(client_as, row):
    for role, links in (("analyst", False), ("data-custodian", False), ("data-quality-officer", True)):
        page = client_as(role).get(reverse("sources:quality")).content.decode()
        assert "1 row waiting: asc-offenders 1" in page
        assert "date_of_birth: not a date in the dataset&#x27;s format dd/mm/yyyy (written as yyyy-mm-dd)" in page
        assert "Quarantello" not in page and "2010-04-03" not in page
        assert (url(row) in page) is links, role


@pytest.mark.parametrize("role", ["analyst", "data-custodian", "key-worker", "audit-reviewer"])
def test_only_the_data_quality_officer_opens_a_row(client_as, row, role):
    assert client_as(role).get(url(row)).status_code == 404


def test_the_row_page_shows_the_row_as_received_and_is_audited(client_as, users, row):
    response = client_as("data-quality-officer").get(url(row))

    page = response.content.decode()
    assert response.status_code == 200
    assert "K0000003" in page and "2010-04-03" in page and 'value="Quarantello"' in page
    event = AuditEvent.objects.filter(action="view_record", subject_type="quarantined_row").get()
    assert (event.subject_id, event.username) == (str(row.pk), users["data-quality-officer"].username)


def test_a_correction_is_loaded_and_the_dataset_linked_on_commit(client_as, row, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(orchestration.extract_link_task, "delay", queued.append)
    values = {f"value-{c}": v for c, v in zip(row.columns, _values(row), strict=True)} | {"value-date_of_birth": "03/04/2010"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("data-quality-officer").post(url(row), values | {"action": "correct"})

    assert response.status_code == 302 and response["Location"].endswith(reverse("sources:quality") + "#quarantine")
    record = SourceRecord.objects.get(batch=row.batch, row_number=3)
    assert record.surname == "QUARANTELLO"
    assert queued == [row.dataset_id]
    row.refresh_from_db()
    assert row.status == QuarantinedRow.Status.CORRECTED and row.changed_columns == ["date_of_birth"]


def test_a_correction_still_bad_shows_the_column_and_reason_and_keeps_what_was_typed(client_as, row):
    values = {f"value-{c}": v for c, v in zip(row.columns, _values(row), strict=True)} | {"value-date_of_birth": "12/25/2010"}

    response = client_as("data-quality-officer").post(url(row), values | {"action": "correct"})

    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert 'href="#value-date_of_birth"' in page and "month first" in page and 'value="12/25/2010"' in page
    assert not SourceRecord.objects.filter(batch=row.batch, row_number=3).exists()
    row.refresh_from_db()
    assert row.status == QuarantinedRow.Status.OPEN


def test_a_discard_needs_a_reason_then_is_recorded(client_as, users, row):
    client = client_as("data-quality-officer")
    page = client.post(url(row), {"action": "discard", "reason": " "}).content.decode()
    assert "Give the reason for discarding the row" in page and 'href="#reason"' in page

    response = client.post(url(row), {"action": "discard", "reason": "A test row the agency sent by mistake"})

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.resolved_by) == (QuarantinedRow.Status.DISCARDED, users["data-quality-officer"])
    page = client.get(url(row)).content.decode()
    assert "Discarded" in page and "A test row the agency sent by mistake" in page and "Check and load" not in page


def _values(row) -> list[str]:
    from apps.sources.quarantine.services import row_values

    return row_values(row)
