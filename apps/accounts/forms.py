"""Forms for access requests, the custodian's decisions, restriction, break-glass and the second factor."""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.utils import timezone

from apps.people.restriction import BREAK_GLASS_REASON_MIN_LENGTH, RESTRICTABLE

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


class RestrictionLookupForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k.title()) for k in RESTRICTABLE], label="Record type")
    record_id = forms.IntegerField(
        label="Record id", min_value=1, error_messages={"required": "Enter the record id.", "invalid": "Enter a number."},
    )


class NameUserForm(forms.Form):
    username = forms.CharField(max_length=150, error_messages={"required": "Enter the username."})


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        min_length=BREAK_GLASS_REASON_MIN_LENGTH, max_length=1000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Say why you need to open this record.",
            "min_length": f"Say why you need to open this record, in at least {BREAK_GLASS_REASON_MIN_LENGTH} characters.",
        },
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\d{6}$", label="Code from your authenticator app", strip=True,
        error_messages={"required": "Enter the 6-digit code.", "invalid": "The code is 6 digits."},
    )
