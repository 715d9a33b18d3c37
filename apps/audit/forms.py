from __future__ import annotations

from django import forms

from .models import Alert, AuditEvent
from .selectors import EventFilters

SUBJECT_TYPES = [("", "Any"), ("person", "Person"), ("family", "Family"), ("user", "User"), ("alert", "Alert")]


class DateInput(forms.DateInput):
    input_type = "date"


class GovukForm(forms.Form):
    """Adds the GOV.UK Frontend classes (and error modifiers) to each widget."""

    CLASSES = {forms.Select: "govuk-select", forms.Textarea: "govuk-textarea"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            base = next((c for w, c in self.CLASSES.items() if isinstance(field.widget, w)), "govuk-input")
            error = f" {base}--error" if self.is_bound and name in self.errors else ""
            field.widget.attrs["class"] = base + error
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"


class EventFilterForm(GovukForm):
    username = forms.CharField(label="Username", required=False, max_length=150)
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any")] + AuditEvent.Action.choices)
    date_from = forms.DateField(label="From (date)", required=False, widget=DateInput)
    date_to = forms.DateField(label="To (date, inclusive)", required=False, widget=DateInput)
    subject_type = forms.ChoiceField(label="Record type", required=False, choices=SUBJECT_TYPES)
    subject_id = forms.CharField(label="Record id", required=False, max_length=40)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end date must be the same as or after the start date.")
        if data.get("subject_id") and not data.get("subject_type"):
            self.add_error("subject_type", "Choose the record type for this record id.")
        return data

    def filters(self) -> EventFilters:
        data = self.cleaned_data
        return EventFilters(
            username=data["username"].strip(), action=data["action"], date_from=data["date_from"],
            date_to=data["date_to"], subject_type=data["subject_type"], subject_id=data["subject_id"].strip(),
        )


class ActivityRangeForm(GovukForm):
    date_from = forms.DateField(label="From (date)", required=False, widget=DateInput)
    date_to = forms.DateField(label="To (date, inclusive)", required=False, widget=DateInput)

    MAX_DAYS = 366

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The end date must be the same as or after the start date.")
            elif (end - start).days >= self.MAX_DAYS:
                self.add_error("date_to", f"Choose a range of at most {self.MAX_DAYS} days.")
        return data


class AlertFilterForm(GovukForm):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + Alert.Status.choices)
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any")] + Alert.Kind.choices)


class AlertReviewForm(GovukForm):
    note = forms.CharField(
        label="Review note", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
        help_text="What you checked, what you found and what you did.",
    )
