"""Projected facts of a person (births, NEET statuses, custody spells, exploitation flags), filled from the
linked source rows already loaded, so a refresh before the next projection still finds them."""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

CHUNK = 5000


def facts_fill(apps, schema_editor):
    """One fact per dated, linked source row of the four kinds, as ``apps.matching.projection.facts`` writes them."""
    SourceRecord = apps.get_model("sources", "SourceRecord")
    ChildBirth, NeetStatus, CustodySpell, ExploitationFlag = (
        apps.get_model("people", name) for name in ("ChildBirth", "NeetStatus", "CustodySpell", "ExploitationFlag"))
    flags = ("cse-flag", "cce-flag", "county-lines-link")
    rows = SourceRecord.objects.filter(
        person__isnull=False, fact_date__isnull=False, fact_type__in=("birth-of-child", "neet-status", "custody", *flags),
    ).order_by().values_list("id", "person_id", "dataset_id", "fact_type", "fact_date", "fact")
    pending = defaultdict(list)
    for pk, person, dataset, kind, day, fact in rows.iterator(chunk_size=CHUNK):
        fact, common = fact or {}, {"person_id": person, "dataset_id": dataset, "source_record_id": pk}
        if kind == "birth-of-child":
            pending[ChildBirth].append(ChildBirth(born_on=day, **common))
        elif kind == "neet-status":
            pending[NeetStatus].append(NeetStatus(recorded_on=day, activity=fact.get("activity") or "", **common))
        elif kind == "custody":
            release = fact.get("expected_release")
            pending[CustodySpell].append(CustodySpell(
                started_on=day, expected_release=release[:10] if release else None,
                establishment=fact.get("establishment") or "", **common))
        else:
            pending[ExploitationFlag].append(ExploitationFlag(kind=kind, flagged_on=day, **common))
        if sum(map(len, pending.values())) >= CHUNK:
            for model, objs in pending.items():
                model.objects.bulk_create(objs)
            pending.clear()
    for model, objs in pending.items():
        model.objects.bulk_create(objs)


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0004_family_lead_professionals'),
        ('sources', '0005_batch_reinstates'),
    ]

    operations = [
        migrations.CreateModel(
            name='ChildBirth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('born_on', models.DateField()),
                ('dataset', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sources.dataset')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='people.person')),
                ('source_record', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='sources.sourcerecord')),
            ],
            options={
                'verbose_name': 'birth of a child',
            },
        ),
        migrations.CreateModel(
            name='CustodySpell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_on', models.DateField()),
                ('expected_release', models.DateField(blank=True, null=True)),
                ('establishment', models.TextField(blank=True)),
                ('dataset', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sources.dataset')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='people.person')),
                ('source_record', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='sources.sourcerecord')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='ExploitationFlag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('cse-flag', 'Child sexual exploitation'), ('cce-flag', 'Child criminal exploitation'), ('county-lines-link', 'Linked to County Lines')], max_length=20)),
                ('flagged_on', models.DateField()),
                ('dataset', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sources.dataset')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='people.person')),
                ('source_record', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='sources.sourcerecord')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='NeetStatus',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recorded_on', models.DateField()),
                ('activity', models.CharField(blank=True, choices=[('EET', 'In education, employment or training'), ('NEET', 'Not in education, employment or training'), ('NOT-KNOWN', 'Not known')], max_length=10)),
                ('dataset', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sources.dataset')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='people.person')),
                ('source_record', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='sources.sourcerecord')),
            ],
            options={
                'verbose_name': 'NEET status',
                'verbose_name_plural': 'NEET statuses',
                'indexes': [models.Index(fields=['person', 'recorded_on'], name='people_neet_person__a30971_idx')],
            },
        ),
        migrations.RunPython(facts_fill, migrations.RunPython.noop),
    ]
