"""Review decisions: the stable keys are required, one decision per ordered key pair.

Separate from 0002 so its data update is committed before the table is altered
(PostgreSQL refuses ALTER TABLE with deferred foreign-key checks pending).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("matching", "0002_decisions_by_source_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reviewdecision",
            name="low_dataset",
            field=models.ForeignKey(
                db_column="low_dataset_code", on_delete=django.db.models.deletion.PROTECT,
                related_name="+", to="sources.dataset", to_field="code",
            ),
        ),
        migrations.AlterField(
            model_name="reviewdecision", name="low_source_key", field=models.CharField(max_length=80),
        ),
        migrations.AlterField(
            model_name="reviewdecision",
            name="high_dataset",
            field=models.ForeignKey(
                db_column="high_dataset_code", on_delete=django.db.models.deletion.PROTECT,
                related_name="+", to="sources.dataset", to_field="code",
            ),
        ),
        migrations.AlterField(
            model_name="reviewdecision", name="high_source_key", field=models.CharField(max_length=80),
        ),
        migrations.AlterField(
            model_name="reviewdecision",
            name="record_low",
            field=models.ForeignKey(
                blank=True, help_text="The row the reviewer saw for the low side, while its extract is current",
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="review_decisions_low",
                to="sources.sourcerecord",
            ),
        ),
        migrations.AlterField(
            model_name="reviewdecision",
            name="record_high",
            field=models.ForeignKey(
                blank=True, help_text="The row the reviewer saw for the high side, while its extract is current",
                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="review_decisions_high",
                to="sources.sourcerecord",
            ),
        ),
        migrations.AlterField(
            model_name="clericalpair",
            name="record_low",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="clerical_pairs_low", to="sources.sourcerecord",
            ),
        ),
        migrations.AlterField(
            model_name="clericalpair",
            name="record_high",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="clerical_pairs_high", to="sources.sourcerecord",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewdecision",
            constraint=models.UniqueConstraint(
                fields=("low_dataset", "low_source_key", "high_dataset", "high_source_key"),
                name="one_decision_per_source_key_pair",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewdecision",
            constraint=models.CheckConstraint(
                condition=models.Q(("low_dataset__lt", models.F("high_dataset")))
                | models.Q(("low_dataset", models.F("high_dataset")), ("low_source_key__lt", models.F("high_source_key"))),
                name="decision_source_keys_ordered",
            ),
        ),
    ]
