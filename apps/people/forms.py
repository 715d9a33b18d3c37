"""Forms for restricted records (the custodian's lookup and naming) and break-glass."""

from __future__ import annotations

from django import forms

from .restriction import BREAK_GLASS_REASON_MIN_LENGTH, RESTRICTABLE


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
