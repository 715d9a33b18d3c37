"""Forms of the datasets page: a dataset's properties, its columns and its event types, made into a descriptor.

The forms only collect; ``descriptors.descriptor_errors`` (through the services) decides what is valid,
so the page, an uploaded descriptor file and the default files are held to the same rules.
"""

from __future__ import annotations

from django import forms
from django.apps import apps

from .catalogue import DATE_FORMAT_LABELS, DATE_FORMATS, FACT_KINDS, MONTH_FORMAT
from .descriptors import BAD_ROWS, CADENCES, DESCRIPTOR_PROFILE, FACT_EVENT_TYPES, FIELD_TYPES
from .models import LegalGateway, Organisation

BAD_ROWS_LABELS = {
    "reject": "Refuse the whole file (nothing is loaded until every row is right)",
    "quarantine": "Load the good rows and quarantine the rest, to be corrected and sent again",
}
TYPE_LABELS = {"string": "Text", "integer": "Whole number", "date": "Date", "yearmonth": "Month (yyyy-mm)"}
MAX_DESCRIPTOR_BYTES = 1024 * 1024


def _sections():
    return [(s, s) for s in apps.get_model("accounts", "Section").objects.order_by("code").values_list("code", flat=True)]


class DatasetForm(forms.Form):
    code = forms.SlugField(max_length=60, help_text="Lower case letters, digits and hyphens; it never changes",
                           error_messages={"required": "Enter the dataset's code"})
    name = forms.CharField(max_length=200, error_messages={"required": "Enter the dataset's name"})
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    provider = forms.ChoiceField(error_messages={"required": "Choose the organisation that sends it"})
    section = forms.ChoiceField(help_text="Who may see its facts")
    category = forms.ChoiceField(help_text="The indicator category it mainly feeds")
    gateways = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                         help_text="The statutes that allow this sharing")
    retention_days = forms.IntegerField(min_value=1, initial=6 * 365,
                                        error_messages={"required": "Enter how many days rows are kept"})
    cadence = forms.ChoiceField(choices=[(c, c.capitalize() if c != "adhoc" else "Ad hoc") for c in CADENCES],
                                initial="monthly")
    trust_rank = forms.IntegerField(min_value=0, max_value=32767, initial=50,
                                    help_text="Lower is more trusted when choosing a person's golden fields")
    validated = forms.BooleanField(required=False, initial=True, label="Validated by the agency")
    fact_kind = forms.ChoiceField(choices=[(k, k) for k in FACT_KINDS], initial="event")
    date_format = forms.ChoiceField(choices=[(f, DATE_FORMAT_LABELS[f]) for f in DATE_FORMATS],
                                    help_text="Every date in the extract is written this way")
    bad_rows = forms.ChoiceField(choices=[(b, BAD_ROWS_LABELS[b]) for b in BAD_ROWS], initial="reject",
                                 widget=forms.RadioSelect, label="A row with a problem")

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "Choose an organisation")] + [
            (code, f"{code}: {name}") for code, name in Organisation.objects.values_list("code", "name")]
        self.fields["section"].choices = self.fields["category"].choices = _sections()
        self.fields["gateways"].choices = [(str(g.number), str(g)) for g in LegalGateway.objects.all()]
        if editing:
            self.fields["code"].disabled = True


class ColumnForm(forms.Form):
    name = forms.RegexField(r"^[a-z][a-z0-9_]*$", max_length=60, required=False, label="Our column name",
                            error_messages={"invalid": "Use lower case letters, digits and underscores"})
    type = forms.ChoiceField(choices=[(t, TYPE_LABELS[t]) for t in FIELD_TYPES], initial="string")
    required = forms.BooleanField(required=False, label="A value is required on every row")
    format = forms.CharField(max_length=20, required=False,
                             help_text="Dates: leave empty for the dataset's date format")
    codes = forms.CharField(required=False, max_length=2000, label="Code list",
                            help_text="The only values allowed, separated by commas; empty for any value")
    agency_header = forms.CharField(max_length=100, required=False, label="The agency's header for it",
                                    help_text="Empty when the extract uses our column name")


class EventTypeForm(forms.Form):
    code = forms.CharField(max_length=40, required=False, label="Event type, as the agency writes it")
    indicator = forms.ChoiceField(required=False, label="What it records")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        indicators = apps.get_model("indicators", "IndicatorDefinition").objects.filter(kind="event")
        self.fields["indicator"].choices = (
            [("", "Nothing: kept, no indicator")]
            + [(code, f"Indicator: {name}") for code, name in indicators.order_by("code").values_list("code", "name")]
            + [(code, f"Fact: {code}") for code in FACT_EVENT_TYPES])


ColumnFormSet = forms.formset_factory(ColumnForm, extra=2, can_delete=True)
EventTypeFormSet = forms.formset_factory(EventTypeForm, extra=2, can_delete=True)


class DescriptorUploadForm(forms.Form):
    file = forms.FileField(label="Descriptor file (JSON)",
                           error_messages={"required": "Choose the descriptor file to upload", "empty": "The file is empty"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DESCRIPTOR_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB: a descriptor is a few kilobytes")
        return upload


def forms_initial(descriptor: dict) -> tuple[dict, list[dict], list[dict]]:
    """The three forms' initial data from a descriptor."""
    dataset = {k: descriptor.get(k) for k in DatasetForm.base_fields if k in descriptor}
    dataset["gateways"] = [str(g) for g in descriptor.get("gateways", [])]
    columns = []
    for f in descriptor.get("schema", {}).get("fields", []):
        constraints = f.get("constraints", {})
        fmt = f.get("format", "")
        if fmt in (descriptor.get("date_format"), MONTH_FORMAT):
            fmt = ""
        columns.append({"name": f["name"], "type": f["type"], "required": constraints.get("required", False),
                        "format": fmt, "codes": ", ".join(constraints.get("enum", [])),
                        "agency_header": f.get("agency_header", "")})
    events = [{"code": e["code"], "indicator": e.get("indicator") or ""} for e in descriptor.get("event_types", [])]
    return dataset, columns, events


def descriptor_from_forms(dataset: dict, columns: list[dict], events: list[dict], *, version: int) -> dict:
    """A descriptor from the three forms' cleaned data (rows left empty or marked for removal are skipped)."""
    fields = []
    for c in columns:
        if not c.get("name") or c.get("DELETE"):
            continue
        field: dict = {"name": c["name"], "type": c["type"]}
        if c["type"] == "date":
            field["format"] = c.get("format") or dataset["date_format"]
        elif c["type"] == "yearmonth":
            field["format"] = c.get("format") or MONTH_FORMAT
        elif c.get("format"):
            field["format"] = c["format"]
        if c.get("agency_header", "").strip():
            field["agency_header"] = c["agency_header"].strip()
        constraints: dict = {}
        if c.get("required"):
            constraints["required"] = True
        codes = [code.strip() for code in (c.get("codes") or "").split(",") if code.strip()]
        if codes:
            constraints["enum"] = codes
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    descriptor = {
        "profile": DESCRIPTOR_PROFILE, "version": version, "code": dataset["code"], "name": dataset["name"],
        "description": dataset.get("description", ""), "provider": dataset["provider"],
        "category": dataset["category"], "section": dataset["section"],
        "gateways": sorted(int(g) for g in dataset.get("gateways", [])), "retention_days": dataset["retention_days"],
        "validated": bool(dataset.get("validated")), "cadence": dataset["cadence"], "trust_rank": dataset["trust_rank"],
        "fact_kind": dataset["fact_kind"], "date_format": dataset["date_format"], "bad_rows": dataset["bad_rows"],
    }
    chosen = [e for e in events if e.get("code", "").strip() and not e.get("DELETE")]
    if chosen or dataset["fact_kind"] == "event":
        descriptor["event_types"] = [{"code": e["code"].strip(), "indicator": e.get("indicator") or None} for e in chosen]
    descriptor["schema"] = {"fields": fields}
    return descriptor
