"""Forms for access requests, the custodian's decisions and the second factor."""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.utils import timezone

from .models import Role


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def start_of_day(day: date) -> datetime:
    """Access ends at the start of the chosen day, local time."""
    return timezone.make_aware(datetime.combine(day, time.min))


class AccessRequestForm(forms.Form):
    role = forms.ModelChoiceField(
        queryset=Role.objects.order_by("name"), empty_label=None, to_field_name="slug",
        error_messages={"invalid_choice": "Choose a role from the list."},
    )
    justification = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why you need this role."},
    )
    line_manager = forms.CharField(max_length=200, error_messages={"required": "Name your line manager."})


class ApproveForm(forms.Form):
    expires_on = forms.DateField(
        label="Access ends on", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the date access ends.", "invalid": "Enter a real date, for example 2027-03-31."},
    )
    reason = forms.CharField(label="Note (optional)", required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = one_year_after(timezone.localdate())

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("The date access ends must be in the future.")
        if day > one_year_after(today):
            raise forms.ValidationError(f"A grant can last at most 12 months: choose {one_year_after(today):%d %B %Y} or earlier.")
        return day

    @property
    def expires_at(self) -> datetime:
        return start_of_day(self.cleaned_data["expires_on"])


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=200, error_messages={"required": "Give the reason."})


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\d{6}$", label="Code from your authenticator app", strip=True,
        error_messages={"required": "Enter the 6-digit code.", "invalid": "The code is 6 digits."},
    )


def add_service_errors(form, error) -> None:
    """Put a service's ``ValidationError`` onto ``form`` (field errors where the field exists)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
