"""The clerical reviewer's decision on one pair."""

from django import forms

from .models import ReviewDecision

CHOOSE = "Choose whether the two records are the same person."


class ReviewDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=ReviewDecision.Outcome.choices, widget=forms.RadioSelect,
        error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
    )


class ThresholdsForm(forms.Form):
    """The match threshold and the review floor for the next runs, chosen from a run's accuracy table."""

    match_threshold = forms.FloatField(
        min_value=0.0, max_value=1.0, label="Match threshold",
        help_text="Pairs at or above this probability are linked without review.",
        error_messages={"required": "Enter the match threshold.", "invalid": "Enter the match threshold as a number, like 0.99.",
                        "min_value": "The match threshold must be between 0 and 1.",
                        "max_value": "The match threshold must be between 0 and 1."},
    )
    review_threshold = forms.FloatField(
        min_value=0.0, max_value=1.0, label="Review floor",
        help_text="Pairs from here up to the match threshold go to clerical review.",
        error_messages={"required": "Enter the review floor.", "invalid": "Enter the review floor as a number, like 0.8.",
                        "min_value": "The review floor must be between 0 and 1.",
                        "max_value": "The review floor must be between 0 and 1."},
    )
    reason = forms.CharField(
        max_length=2000, label="Why", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example the precision and recall the table shows at these thresholds.",
        error_messages={"required": "Say why you chose these thresholds."},
    )

    def clean(self):
        cleaned = super().clean()
        match, review = cleaned.get("match_threshold"), cleaned.get("review_threshold")
        if match is not None and review is not None:
            if review <= 0:
                self.add_error("review_threshold", "The review floor must be above 0.")
            elif review > match:
                self.add_error("review_threshold", "The review floor must not be above the match threshold.")
        return cleaned
