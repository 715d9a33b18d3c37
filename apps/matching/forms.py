"""The clerical reviewer's decision on one pair."""

from django import forms

from .models import ReviewDecision

CHOOSE = "Choose whether the two records are the same person."


class ReviewDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=ReviewDecision.Outcome.choices, widget=forms.RadioSelect,
        error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
    )
