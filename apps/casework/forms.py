"""Casework forms: the eligible list's filters and one form per step of the journey.

Each validates what was typed; the services decide whether the step is allowed now (``CaseStateError``
is added to the form as a non-field error and shown in the GOV.UK error summary).
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from apps.people.models import Area
from apps.sources.models import Organisation

from .models import Case, Consent

HAS_CASE = (("yes", "Has an open case"), ("no", "No open case"))
PROBLEMS = [(str(n), str(n)) for n in range(1, 11)]


class EligibleFilterForm(forms.Form):
    area = forms.ChoiceField(required=False, choices=[("", "Any area"), *Area.choices],
                             error_messages={"invalid_choice": "Choose an area from the list."})
    badge = forms.ChoiceField(required=False, label="Criteria", error_messages={"invalid_choice": "Choose criteria from the list."})
    problems = forms.ChoiceField(required=False, choices=[("", "Any number"), *PROBLEMS], label="Headline problems",
                                 error_messages={"invalid_choice": "Choose a number of problems from the list."})
    has_case = forms.ChoiceField(required=False, choices=[("", "Either"), *HAS_CASE], label="Open case",
                                 error_messages={"invalid_choice": "Choose from the list."})
    reference = forms.CharField(required=False, max_length=20, label="Family reference",
                                error_messages={"max_length": "Enter a family reference of 20 characters or fewer."})
    page = forms.CharField(required=False)

    def __init__(self, data=None, *, badges, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["badge"].choices = [("", "Any criteria"), *badges]

    def clean_page(self) -> int:
        value = self.cleaned_data.get("page") or ""
        return int(value) if value.isdigit() and int(value) > 0 else 1

    def clean_problems(self) -> int | None:
        value = self.cleaned_data.get("problems")
        return int(value) if value else None


class TriageForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept: work with this family"), ("decline", "Decline"), ("defer", "Not now")],
        widget=forms.RadioSelect, error_messages={"required": "Choose accept, decline or not now."})
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             label="Reason (needed to decline or for not now)")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") in ("decline", "defer") and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Give a reason for declining or for not now.")
        return cleaned


class DateField(forms.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y"])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)


class ConsentForm(forms.Form):
    person = forms.TypedChoiceField(coerce=int, label="Family member",
                                    error_messages={"required": "Choose the family member.",
                                                    "invalid_choice": "Choose a family member from the list."})
    status = forms.ChoiceField(choices=Consent.Status.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Choose given, refused or withdrawn."})
    recorded_on = DateField(label="Date given, refused or withdrawn",
                            error_messages={"required": "Enter the date.", "invalid": "Enter a real date."})
    partners = forms.ModelMultipleChoiceField(queryset=Organisation.objects.order_by("code"), required=False,
                                              widget=forms.CheckboxSelectMultiple,
                                              label="Partners they agree we share with")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["person"].choices = [("", "Choose a member"), *[(m.person.pk, str(m.person)) for m in members]]
        self.fields["partners"].label_from_instance = lambda o: f"{o.code}: {o.name}"

    def clean_recorded_on(self):
        value = self.cleaned_data["recorded_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return value


class ConfirmForm(forms.Form):
    """A button that needs nothing typed (seek consent)."""


class StatutoryBasisForm(forms.Form):
    basis = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                            label="The statutory duty to share without consent, and its legal basis",
                            error_messages={"required": "Give the statutory basis."})


class AllocateForm(forms.Form):
    lead = forms.ChoiceField(widget=forms.RadioSelect, label="Lead practitioner",
                             error_messages={"required": "Choose the lead practitioner.",
                                             "invalid_choice": "Choose a practitioner from the list."})

    def __init__(self, data=None, *, practitioners, **kwargs):
        super().__init__(data, **kwargs)
        self.pairs = {f"{team.pk}-{user.pk}": (team, user) for team, user in practitioners}
        self.fields["lead"].choices = [
            (key, f"{user.get_full_name() or user.get_username()} ({team.name})") for key, (team, user) in self.pairs.items()]

    def clean_lead(self):
        return self.pairs[self.cleaned_data["lead"]]


class CloseForm(forms.Form):
    reason = forms.ChoiceField(choices=Case.CloseReason.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Choose why the case is closing."})
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class TeamMemberForm(forms.Form):
    name = forms.CharField(max_length=200, error_messages={"required": "Enter their name."})
    role = forms.CharField(max_length=200, error_messages={"required": "Enter their role."})
    agency = forms.CharField(max_length=200, label="Agency or service", error_messages={"required": "Enter their agency."})
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.order_by("code"), required=False,
                                          label="Partner organisation (if one of ours)")
    email = forms.EmailField(required=False, error_messages={"invalid": "Enter an email address like name@example.org."})
    phone = forms.CharField(required=False, max_length=40)
    date_from = DateField(label="Working with the family since",
                          error_messages={"required": "Enter the date.", "invalid": "Enter a real date."})
    date_to = DateField(required=False, label="Until (leave empty if still involved)",
                        error_messages={"invalid": "Enter a real date."})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_to"] < cleaned["date_from"]:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return cleaned
