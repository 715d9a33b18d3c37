from django import forms

from .models import Dataset

MAX_UPLOAD_BYTES = 2 * 1024**3


class ExtractUploadForm(forms.Form):
    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.select_related("provider").order_by("provider__code", "name"),
        to_field_name="code",
        empty_label="Choose a dataset",
        error_messages={"required": "Choose the dataset this file is an extract of", "invalid_choice": "Choose a dataset from the list"},
    )
    file = forms.FileField(
        label="Extract file (CSV, UTF-8)",
        error_messages={"required": "Choose the CSV file to upload", "empty": "The file is empty"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].label_from_instance = lambda d: f"{d.provider.code}: {d.name} ({d.code})"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 2 GB: load it with manage.py import_extract")
        return upload
