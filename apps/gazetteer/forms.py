"""The data quality officer's decision on one address, and the gazetteer upload."""

from django import forms

CHOOSE = "Choose what to do with this address."
DECISION_CHOICES = (
    ("accept", "Accept the suggested property"),
    ("choose", "Choose another property"),
    ("unresolvable", "Mark it unresolvable (keep the address as sent)"),
)


class ResolutionDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISION_CHOICES, widget=forms.RadioSelect,
                                 error_messages={"required": CHOOSE, "invalid_choice": CHOOSE})
    uprn = forms.CharField(required=False, max_length=20, label="UPRN of the property")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "choose" and not cleaned.get("uprn"):
            self.add_error("uprn", "Enter the UPRN of the property, or pick one of the candidates.")
        return cleaned


class GazetteerUploadForm(forms.Form):
    file = forms.FileField(label="Gazetteer file (CSV)", error_messages={"required": "Choose the gazetteer file."})
