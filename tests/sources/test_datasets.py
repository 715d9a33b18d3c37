"""Datasets are data: descriptors (files and database), the datasets page, and a dataset defined on the page
imported and linked with no code change."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.indicators.models import PersonIndicator
from apps.matching import services as matching
from apps.matching import splink_model
from apps.matching.models import MatchRun
from apps.sources.descriptors import (
    DESCRIPTOR_DIR,
    default_descriptors,
    descriptor_errors,
    spec_from_descriptor,
)
from apps.sources.models import Dataset, ImportBatch, SourceRecord
from apps.sources.services import import_batch_load
from apps.sources.specs import dataset_spec, dataset_specs

pytestmark = pytest.mark.django_db

# A council's own dataset: its own header names, US-free day-first dates with dashes, its own event codes.
NEW_CODE = "bcc-family-support-line"
HEADERS = {"source_key": "Client Ref", "forename": "First Name", "surname": "Family Name", "date_of_birth": "DOB",
           "sex": "Gender", "address": "Address Line", "postcode": "Post Code", "nhs_number": "NHS No",
           "event_date": "Call Date", "event_type": "Call Reason", "reference": "Call No", "call_handler": "Handler"}
EVENTS = {"DV": "victim-of-dva", "MH": "mental-health-concern", "INFO": ""}


def new_dataset_post(**changes) -> dict:
    """The datasets page's form, filled in as the custodian would for the new dataset."""
    data = {"code": NEW_CODE, "name": "Family support line calls", "description": "Calls to the council's line",
            "provider": "BCC", "section": "service-involvement", "category": "service-involvement",
            "gateways": ["1", "9"], "retention_days": "730", "cadence": "weekly", "trust_rank": "45",
            "validated": "on", "fact_kind": "event", "date_format": "%d-%m-%Y", "bad_rows": "reject"}
    columns = [("source_key", "string", True), ("forename", "string", False), ("surname", "string", True),
               ("date_of_birth", "date", False), ("sex", "string", False), ("address", "string", False),
               ("postcode", "string", False), ("nhs_number", "string", False), ("event_date", "date", True),
               ("event_type", "string", True), ("reference", "string", False), ("call_handler", "string", False)]
    data |= {"col-TOTAL_FORMS": str(len(columns) + 1), "col-INITIAL_FORMS": "0",
             "evt-TOTAL_FORMS": str(len(EVENTS) + 1), "evt-INITIAL_FORMS": "0"}
    for i, (name, ftype, required) in enumerate(columns):
        data |= {f"col-{i}-name": name, f"col-{i}-type": ftype, f"col-{i}-agency_header": HEADERS[name]}
        if required:
            data[f"col-{i}-required"] = "on"
        if name == "sex":
            data[f"col-{i}-codes"] = "M, F, U"
    data[f"col-{len(columns)}-type"] = "string"  # the empty row the page offers: ignored
    for i, (code, indicator) in enumerate(EVENTS.items()):
        data |= {f"evt-{i}-code": code, f"evt-{i}-indicator": indicator}
    return data | changes


PEOPLE = [  # forename, surname, date of birth, sex, address, postcode, NHS number
    ("Kerry", "Ashworth", dt.date(1988, 3, 14), "F", "12 Mill Lane, Bristol", "BS5 6XY", "9434765919"),
    ("Jordan", "Pelham", dt.date(2009, 11, 2), "M", "4 Quarry Road, Bristol", "BS7 8QP", "9434765870"),
    ("Aisha", "Begum", dt.date(1979, 7, 30), "F", "Flat 2, 9 Church Street, Bristol", "BS2 0LA", "4010232137"),
]


def csv_bytes(header: list[str], rows: list[list[str]]) -> io.BytesIO:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    handle = io.BytesIO(out.getvalue().encode("utf-8"))
    handle.name = "extract.csv"
    return handle


def new_extract(date_format="%d-%m-%Y") -> io.BytesIO:
    header = [HEADERS[c] for c in ("source_key", "forename", "surname", "date_of_birth", "sex", "address",
                                   "postcode", "nhs_number", "event_date", "event_type", "reference", "call_handler")]
    rows = [[f"FSL-{i:04d}", f, s, dob.strftime(date_format), sex.lower(), addr, pc.replace(" ", "").lower(), nhs,
             dt.date(2025, 2, 10 + i).strftime(date_format), code, f"C{i}", "R. Hale"]
            for i, ((f, s, dob, sex, addr, pc, nhs), code) in enumerate(zip(PEOPLE, ("dv", "MH", "INFO"), strict=True))]
    return csv_bytes(header, rows)


def social_care_extract() -> io.BytesIO:
    spec = dataset_spec("bcc-social-care")
    rows = []
    for i, (f, s, dob, sex, addr, pc, nhs) in enumerate(PEOPLE):
        values = {"source_key": f"LCS-{i:07d}", "forename": f, "surname": s, "date_of_birth": dob.isoformat(),
                  "sex": sex, "address": addr, "postcode": pc, "nhs_number": nhs, "event_date": "2024-05-01",
                  "event_type": "open-to-families-in-focus-or-social-care", "reference": f"S{i}"}
        rows.append([values.get(c, "") for c in spec.columns])
    return csv_bytes(list(spec.columns), rows)


# --- descriptors ------------------------------------------------------------------------------------------------


def test_every_default_descriptor_file_is_valid_and_defines_the_dataset_migrate_loaded():
    files = default_descriptors()
    assert len(files) == len(list(DESCRIPTOR_DIR.glob("*.json"))) > 0
    assert set(dataset_specs()) == {d["code"] for d in files}
    for descriptor in files:
        assert Dataset.objects.get(code=descriptor["code"]).descriptor == descriptor


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["schema"]["fields"][4].update(type="string"), "schema.fields[4] (date_of_birth).type: date_of_birth is a date column, not string"),
    (lambda d: d["schema"]["fields"][0].pop("constraints"), "source_key is required in every dataset"),
    (lambda d: d.update(date_format="%d/%m/%y"), "date_format: '%d/%m/%y' is not one of"),
    (lambda d: d.update(bad_rows="ignore"), "bad_rows: 'ignore' is not one of ['reject', 'quarantine']"),
    (lambda d: d["schema"]["fields"].append({"name": "adoption_order", "type": "string"}), "excludes"),
    (lambda d: d.update(event_types=[]), "an event dataset lists at least one event type"),
    (lambda d: d["schema"]["fields"][1].update(agency_header="Surname"), "header 'surname' is used by more than one column"),
    (lambda d: d.pop("fact_kind"), "(descriptor): 'fact_kind' is a required property"),
])
def test_a_descriptor_with_a_mistake_is_refused_saying_where_and_why(change, expected):
    descriptor = json.loads(json.dumps(Dataset.objects.get(code="asc-offenders").descriptor))
    change(descriptor)
    errors = descriptor_errors(descriptor)
    assert any(expected in e for e in errors), errors


# --- the page ---------------------------------------------------------------------------------------------------


def test_only_the_custodian_and_the_data_quality_officer_have_the_datasets_page(client_as):
    for role, status in (("data-custodian", 200), ("data-quality-officer", 200), ("analyst", 404), ("key-worker", 404)):
        assert client_as(role).get(reverse("sources:datasets")).status_code == status, role


def test_a_new_dataset_with_its_own_headers_defined_on_the_page_is_imported_and_linked(client_as, users):
    client = client_as("data-custodian")
    assert client.get(reverse("sources:dataset_new")).status_code == 200
    response = client.post(reverse("sources:dataset_new"), new_dataset_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    dataset = Dataset.objects.get(code=NEW_CODE)
    assert (dataset.name, dataset.provider.code, dataset.section.code, dataset.trust_rank) == (
        "Family support line calls", "BCC", "service-involvement", 45)
    assert sorted(dataset.gateways.values_list("number", flat=True)) == [1, 9]
    version = dataset.history.get()
    assert (version.history_user, version.descriptor["version"]) == (users["data-custodian"], 1)
    event = AuditEvent.objects.get(action=AuditEvent.Action.DATASET_CHANGE, subject_id=NEW_CODE)
    assert event.details["changes"] == ["defined"]

    social = import_batch_load(dataset=Dataset.objects.get(code="bcc-social-care"), path_or_file=social_care_extract())
    batch = import_batch_load(dataset=dataset, path_or_file=new_extract())
    assert batch.status == ImportBatch.Status.LOADED, batch.errors
    assert social.status == ImportBatch.Status.LOADED, social.errors
    rows = list(SourceRecord.objects.filter(batch=batch).order_by("row_number"))
    assert [r.raw["event_type"] for r in rows] == ["dv", "MH", "INFO"]  # as sent, under our column names
    assert rows[0].date_of_birth == PEOPLE[0][2] and rows[0].fact_date == dt.date(2025, 2, 10)
    assert rows[0].fact["call_handler"] == "R. Hale"  # a column of the dataset's own, kept with the row

    run = matching.match_run_create(kind=MatchRun.Kind.FULL, model=splink_model.settings_dict(prior=0.001))
    run = matching.match_run_execute(run=run)
    assert run.status == MatchRun.Status.COMPLETED, run.failure_reason
    social_persons = dict(SourceRecord.objects.filter(batch=social).values_list("source_key", "person_id"))
    for i, record in enumerate(rows):
        record.refresh_from_db()
        assert record.person_id is not None and record.person_id == social_persons[f"LCS-{i:07d}"]
    # the event types record the indicators the custodian chose: DV -> victim of DVA, MH -> mental health concern
    held = set(PersonIndicator.objects.filter(dataset=dataset).values_list("person_id", "definition__code"))
    assert held == {(rows[0].person_id, "victim-of-dva"), (rows[1].person_id, "mental-health-concern")}


def test_an_extract_of_the_new_dataset_with_an_unknown_header_names_the_agencys_column(client_as):
    client_as("data-custodian").post(reverse("sources:dataset_new"), new_dataset_post())
    dataset = Dataset.objects.get(code=NEW_CODE)
    handle = new_extract()
    text = handle.getvalue().decode().replace("Call Date", "Date of Call", 1)
    bad = io.BytesIO(text.encode())
    batch = import_batch_load(dataset=dataset, path_or_file=bad)
    assert batch.status == ImportBatch.Status.FAILED
    reasons = {(e["column"], e["reason"]) for e in batch.errors}
    assert ("date of call", f"unknown column: {NEW_CODE} extracts do not have it") in reasons
    assert ("event_date", "required column missing (headed 'Call Date' in this dataset)") in reasons

    wrong_date = io.BytesIO(new_extract().getvalue().replace(b"10-02-2025", b"2025-02-31"))
    batch = import_batch_load(dataset=dataset, path_or_file=wrong_date)
    assert batch.status == ImportBatch.Status.FAILED
    assert any(e["row"] == 1 and e["column"] == "Call Date (event_date)" for e in batch.errors), batch.errors


def test_changing_a_dataset_on_the_page_keeps_every_version_with_who_and_what(client_as, users):
    client = client_as("data-quality-officer")
    dataset = Dataset.objects.get(code="asc-offenders")
    page = client.get(reverse("sources:dataset_edit", args=[dataset.code]))
    assert page.status_code == 200
    form = page.context["form"]
    columns, events = page.context["columns"], page.context["events"]
    data = {name: form[name].value() for name in form.fields if name != "code"}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    data |= {"name": "Police offender records (PNC)", "trust_rank": "25", "bad_rows": "quarantine"}
    data |= {"col-TOTAL_FORMS": str(len(columns.forms)), "col-INITIAL_FORMS": str(columns.initial_form_count()),
             "evt-TOTAL_FORMS": str(len(events.forms)), "evt-INITIAL_FORMS": str(events.initial_form_count())}
    for prefix, formset in (("col", columns), ("evt", events)):
        for i, f in enumerate(formset.forms):
            for name in f.fields:
                value = f[name].value()
                if value not in (None, False, ""):
                    data[f"{prefix}-{i}-{name}"] = "on" if value is True else value
    surname = next(i for i, f in enumerate(columns.forms) if f["name"].value() == "surname")
    data[f"col-{surname}-agency_header"] = "Family name"
    response = client.post(reverse("sources:dataset_edit", args=[dataset.code]), data)
    assert response.status_code == 302, response.context and response.context.get("problems")

    dataset.refresh_from_db()
    assert (dataset.name, dataset.trust_rank, dataset.descriptor["bad_rows"], dataset.descriptor["version"]) == (
        "Police offender records (PNC)", 25, "quarantine", 2)
    assert dataset_spec("asc-offenders").agency_headers == {"surname": "Family name"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.DATASET_CHANGE, subject_id="asc-offenders")
    assert set(event.details["changes"]) == {
        "name: Police offender records → Police offender records (PNC)", "trust rank: 30 → 25",
        "bad rows: reject → quarantine", "column surname: agency_header changed"}
    page = client.get(reverse("sources:dataset", args=[dataset.code]))
    text = page.content.decode()
    assert "Version 2" in text and "data_quality_officer" in text and "trust rank: 30 → 25" in text
    assert "Version 1" in text and "the system (migrate)" in text


def test_the_form_refuses_a_definition_the_rules_refuse_and_writes_nothing(client_as):
    client = client_as("data-custodian")
    response = client.post(reverse("sources:dataset_new"), new_dataset_post(**{"col-9-type": "integer"}))
    assert response.status_code == 200
    assert "schema.fields[9] (event_type).type: event_type is a string column, not integer" in response.context["problems"]
    assert not Dataset.objects.filter(code=NEW_CODE).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DATASET_CHANGE).exists()


def test_a_descriptor_downloads_audited_and_uploads_as_the_next_version(client_as):
    client = client_as("data-custodian")
    response = client.get(reverse("sources:dataset_descriptor", args=["dfe-sen"]))
    assert response["Content-Disposition"] == 'attachment; filename="dfe-sen.json"'
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, subject_type="dataset", subject_id="dfe-sen").count() == 1
    descriptor = json.loads(response.content)
    descriptor["cadence"] = "monthly"
    upload = io.BytesIO(json.dumps(descriptor).encode())
    upload.name = "dfe-sen.json"
    assert client.post(reverse("sources:dataset_upload"), {"file": upload}).status_code == 302
    assert Dataset.objects.get(code="dfe-sen").descriptor["version"] == 2

    broken = io.BytesIO(b'{"code": "x"')
    broken.name = "broken.json"
    response = client.post(reverse("sources:dataset_upload"), {"file": broken})
    assert response.status_code == 200 and response.context["problems"][0].startswith("not valid JSON")

    descriptor |= {"code": "ehm-new-thing", "provider": "NOPE"}
    upload = io.BytesIO(json.dumps(descriptor).encode())
    upload.name = "new.json"
    response = client.post(reverse("sources:dataset_upload"), {"file": upload})
    assert "provider: 'NOPE' is not an organisation" in response.context["problems"]
    assert not Dataset.objects.filter(code="ehm-new-thing").exists()


def test_the_fact_kind_of_a_dataset_with_loaded_extracts_does_not_change():
    from apps.sources.dataset_services import dataset_update
    from apps.sources.descriptors import DescriptorError

    dataset = Dataset.objects.get(code="bcc-social-care")
    assert import_batch_load(dataset=dataset, path_or_file=social_care_extract()).status == ImportBatch.Status.LOADED
    descriptor = dict(dataset.descriptor, fact_kind="custody")
    with pytest.raises(DescriptorError, match="the fact kind cannot change"):
        dataset_update(dataset=dataset, descriptor=descriptor, user=None)


def test_spec_from_the_database_is_what_the_custodian_saved():
    from apps.sources.dataset_services import dataset_update

    dataset = Dataset.objects.get(code="asc-offenders")
    descriptor = json.loads(json.dumps(dataset.descriptor))
    descriptor["event_types"][0]["code"] = "OFF"
    dataset_update(dataset=dataset, descriptor=descriptor, user=None)
    assert dataset_spec("asc-offenders") == spec_from_descriptor(Dataset.objects.get(code="asc-offenders").descriptor)
    assert dataset_spec("asc-offenders").event_types == ("off",)
    assert dataset_spec("asc-offenders").indicator_of("off") == "person-committed-offence"


def test_docs_data_formats_is_generated_from_the_descriptors_and_current():
    from apps.sources.data_formats import DOC, data_formats_markdown

    text = data_formats_markdown()
    assert DOC.read_text(encoding="utf-8") == text, "run manage.py data_formats_doc"
    for descriptor in default_descriptors():
        assert f"### `{descriptor['code']}`: {descriptor['name']}" in text
    changed = json.loads(json.dumps(default_descriptors()[0]))
    changed["schema"]["fields"][3]["agency_header"] = "Family name"
    assert "`surname`**\\*** ← `Family name`" in data_formats_markdown([changed])


def test_the_generator_writes_an_extract_for_a_new_descriptor_that_imports(client_as, tmp_path):
    from apps.sources.synth import generate

    client_as("data-custodian").post(reverse("sources:dataset_new"), new_dataset_post())
    dataset = Dataset.objects.get(code=NEW_CODE)
    descriptors = tmp_path / "datasets"
    descriptors.mkdir()
    (descriptors / f"{NEW_CODE}.json").write_text(json.dumps(dataset.descriptor), encoding="utf-8")
    out = tmp_path / "extract"
    manifest = generate(out=out, scale="small", seed=11, people=600, datasets_dir=descriptors)
    assert list(manifest["datasets"]) == [NEW_CODE] and manifest["datasets"][NEW_CODE]["rows"] > 0
    lines = (out / f"{NEW_CODE}.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(HEADERS[f["name"]] for f in dataset.descriptor["schema"]["fields"])
    batch = import_batch_load(dataset=dataset, path_or_file=out / f"{NEW_CODE}.csv")
    assert batch.status == ImportBatch.Status.LOADED, batch.errors[:5]
    written = set(SourceRecord.objects.filter(batch=batch).values_list("fact_type", flat=True))
    assert written <= {"dv", "mh"} and written  # its own codes for the indicators it records
