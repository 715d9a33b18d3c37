"""Review decisions keyed by the records' stable identity (dataset code + source key).

A newer extract replaces a dataset's rows, so decisions that pointed at row ids
with CASCADE were deleted on reload. Existing decisions take their rows' keys; the
row references become nullable and SET_NULL.
"""

import django.db.models.deletion
from django.db import migrations, models


def keys_from_records(apps, schema_editor):
    ReviewDecision = apps.get_model("matching", "ReviewDecision")
    SourceRecord = apps.get_model("sources", "SourceRecord")
    Dataset = apps.get_model("sources", "Dataset")
    codes = dict(Dataset.objects.values_list("pk", "code"))
    for decision in ReviewDecision.objects.all():
        rows = SourceRecord.objects.in_bulk([decision.record_low_id, decision.record_high_id])
        low, high = rows[decision.record_low_id], rows[decision.record_high_id]
        keys = sorted([(codes[low.dataset_id], low.source_key, low.pk), (codes[high.dataset_id], high.source_key, high.pk)])
        (decision.low_dataset_id, decision.low_source_key, decision.record_low_id), (
            decision.high_dataset_id, decision.high_source_key, decision.record_high_id) = keys
        decision.save()


class Migration(migrations.Migration):

    dependencies = [
        ("matching", "0001_initial"),
        ("sources", "0003_bulk_load_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="reviewdecision", name="one_decision_per_record_pair"),
        migrations.RemoveConstraint(model_name="reviewdecision", name="decision_pair_ordered"),
        migrations.AddField(
            model_name="reviewdecision",
            name="low_dataset",
            field=models.ForeignKey(
                db_column="low_dataset_code", null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="+", to="sources.dataset", to_field="code",
            ),
        ),
        migrations.AddField(
            model_name="reviewdecision", name="low_source_key", field=models.CharField(max_length=80, null=True),
        ),
        migrations.AddField(
            model_name="reviewdecision",
            name="high_dataset",
            field=models.ForeignKey(
                db_column="high_dataset_code", null=True, on_delete=django.db.models.deletion.PROTECT,
                related_name="+", to="sources.dataset", to_field="code",
            ),
        ),
        migrations.AddField(
            model_name="reviewdecision", name="high_source_key", field=models.CharField(max_length=80, null=True),
        ),
        migrations.RunPython(keys_from_records, migrations.RunPython.noop),
    ]
