"""The search form: what was typed, why, and the filters, validated in one place.

The page shows its errors as a GOV.UK error summary and field errors, with or
without JavaScript (htmx swaps the whole form and results, errors included).
"""

from __future__ import annotations

from django import forms

from apps.accounts.access import Access
from apps.accounts.purpose import PURPOSE_FIELD, REFERENCE_FIELD, purpose_from
from apps.people.models import Area

from .query import parse_query

AGE_BANDS = (("0-4", "0 to 4"), ("5-10", "5 to 10"), ("11-15", "11 to 15"), ("16-17", "16 to 17"),
             ("18-24", "18 to 24"), ("25-120", "25 and over"))
FILTERS = ("area", "age_band", "badge")
FILTER_LABELS = {"area": ("Area", "Any area"), "age_band": ("Age", "Any age"), "badge": ("Criteria", "Any")}
EMPTY_SEARCH = "Enter a name, date of birth, postcode, address or reference."


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, error_messages={"max_length": "Search for 200 characters or fewer."})
    purpose = forms.CharField(required=False)
    reference = forms.CharField(required=False)
    area = forms.ChoiceField(required=False, choices=Area.choices, error_messages={"invalid_choice": "Choose an area from the list."})
    age_band = forms.ChoiceField(required=False, choices=AGE_BANDS, error_messages={"invalid_choice": "Choose an age from the list."})
    badge = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Choose criteria from the list."})
    page = forms.CharField(required=False)

    def __init__(self, data=None, *, access: Access, badges, **kwargs):
        super().__init__(data, **kwargs)
        self.access = access
        self.fields["badge"].choices = [(b.code, f"{b.code} – {b.name}") for b in badges]

    @property
    def needs_reference(self) -> bool:
        return bool(self.access.active_role and self.access.active_role.purpose_requires_reference)

    def clean_page(self) -> int:
        """Any page number that is not a positive whole number is page 1 (a link, not something typed)."""
        value = self.cleaned_data.get("page") or ""
        return int(value) if value.isdigit() and int(value) > 0 else 1

    def clean(self):
        cleaned = super().clean()
        purpose, error = purpose_from(self.data, self.access)
        if error:
            self.add_error(REFERENCE_FIELD if self.needs_reference else PURPOSE_FIELD, error)
        cleaned["purpose_text"] = purpose
        query = parse_query(cleaned.get("q", ""))
        cleaned["query"] = query
        if query.is_empty and not any(cleaned.get(name) for name in FILTERS) and "q" not in self.errors:
            self.add_error("q", EMPTY_SEARCH)
        return cleaned

    @property
    def filter_fields(self) -> list[tuple]:
        """``[(bound field, label, "any" option), ...]`` for the filters."""
        return [(self[name], *FILTER_LABELS[name]) for name in FILTERS]

    @property
    def filters_open(self) -> bool:
        return self.is_bound and any(self.data.get(name) or name in self.errors for name in FILTERS)

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """``[(field id, message), ...]`` in the order the fields appear on the page, for the error summary."""
        order = ["q", REFERENCE_FIELD if self.needs_reference else PURPOSE_FIELD, *FILTERS]
        return [(name, message) for name in order for message in self.errors.get(name, [])]
