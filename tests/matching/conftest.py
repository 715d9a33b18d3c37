"""Small deterministic inputs for the matching tests: records made directly, a fixed model."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from apps.matching import services, splink_model
from apps.matching.models import MatchRun
from apps.sources.descriptors import default_specs
from apps.sources.models import Dataset, ImportBatch, SourceRecord
from apps.sources.services import import_batch_load

DATASETS_BY_CODE = default_specs()  # the default dataset descriptors, as migrate loads them


@pytest.fixture
def fixed_model():
    """The model with its starting m/u values and a fixed prior: training on a dozen rows would be noise."""
    return splink_model.settings_dict(prior=0.001)


@pytest.fixture
def extract(db):
    """``extract("bcc-council-tax", [dict(forename=..., ...), ...])`` loads a current batch of records."""
    counter = {"n": 0}

    def load(code: str, rows: list[dict]) -> list[SourceRecord]:
        dataset = Dataset.objects.get(code=code)
        counter["n"] += 1
        previous = ImportBatch.objects.filter(dataset=dataset, is_current=True)
        SourceRecord.objects.filter(batch__in=previous).delete()  # as a load does: only the current extract holds rows
        previous.update(is_current=False)
        batch = ImportBatch.objects.create(
            dataset=dataset, filename=f"{code}-{counter['n']}.csv", checksum=f"{counter['n']:064d}",
            status=ImportBatch.Status.LOADED, is_current=True,
        )
        records = []
        for i, row in enumerate(rows, start=1):
            row = dict(row)
            address = row.pop("address", "")
            dob = row.pop("date_of_birth", None)
            middle = row.pop("middle_names", "")  # kept only in the row as sent, as the importer does
            records.append(SourceRecord(
                dataset=dataset, batch=batch, source_key=row.pop("source_key", f"{code}-{counter['n']}-{i}"), row_number=i,
                raw={"address": address, "forename": row.get("forename", ""), "middle_names": middle},
                date_of_birth=dt.date.fromisoformat(dob) if dob else None,
                address_key=row.pop("address_key", address.upper()),
                fact_type=row.pop("fact_type", "residence"), fact_date=row.pop("fact_date", dt.date(2020, 1, 1)),
                fact=row.pop("fact", {}), **row,
            ))
        return SourceRecord.objects.bulk_create(records) and list(SourceRecord.objects.filter(batch=batch).order_by("pk"))

    return load


@pytest.fixture
def import_extract(db, tmp_path):
    """``import_extract("asc-offenders", [dict(source_key=..., forename=..., ...), ...])`` loads a file
    through the importer, so a newer extract replaces the dataset's rows as it does in production.

    Dates are given as ISO strings and written in the dataset's own format.
    """
    counter = {"n": 0}

    def load(code: str, rows: list[dict]) -> list[SourceRecord]:
        spec = DATASETS_BY_CODE[code]
        counter["n"] += 1
        path = tmp_path / f"{code}-{counter['n']}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(spec.columns)
            for row in rows:
                values = {"event_type": spec.event_types[0] if spec.event_types else "", **row}
                for column in ("date_of_birth", "event_date", "date_from"):
                    if values.get(column):
                        values[column] = dt.date.fromisoformat(values[column]).strftime(spec.date_format)
                writer.writerow([values.get(column, "") for column in spec.columns])
        batch = import_batch_load(dataset=Dataset.objects.get(code=code), path_or_file=path)
        assert batch.status == ImportBatch.Status.LOADED, (batch.failure_reason, batch.errors)
        return list(SourceRecord.objects.filter(batch=batch).order_by("row_number"))

    return load


@pytest.fixture
def run_match(fixed_model):
    """Run a full (or, with ``dataset``, incremental) match with the fixed model; fail loudly if it fails."""

    def run(dataset_code: str | None = None) -> MatchRun:
        if dataset_code:
            run = services.match_run_create(kind=MatchRun.Kind.INCREMENTAL, dataset=Dataset.objects.get(code=dataset_code),
                                            model=fixed_model)
        else:
            run = services.match_run_create(kind=MatchRun.Kind.FULL, model=fixed_model)
        run = services.match_run_execute(run=run)
        assert run.status == MatchRun.Status.COMPLETED, run.failure_reason
        return run

    return run


def person_of(record: SourceRecord) -> int | None:
    record.refresh_from_db()
    return record.person_id
