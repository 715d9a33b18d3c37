"""Each projected school record names the source row it came from (an indicator's supporting record).

Records projected before this migration are linked to a linked source row of the same person and
the same school, date and kind, each row to one record, so their indicators keep their supporting
records until the next projection writes the links itself.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

CHUNK = 5000


def _record_keys(SourceRecord, fact_type: str, key) -> dict[tuple, list[int]]:
    """``{key: [source row ids, ascending]}`` of the linked rows of ``fact_type``; ``key(fact, date)`` ends a key.

    A record takes the last id of its key: the latest row, as the projection prefers among equally trusted ones.
    """
    found = defaultdict(list)
    rows = SourceRecord.objects.filter(person__isnull=False, fact_type=fact_type).order_by("id").values_list(
        "id", "person_id", "fact_date", "fact")
    for pk, person, day, fact in rows.iterator(chunk_size=CHUNK):
        found[(person, *key(fact or {}, day))].append(pk)
    return found


def links_fill(apps, schema_editor):
    SourceRecord = apps.get_model("sources", "SourceRecord")
    urns = dict(apps.get_model("schools", "School").objects.values_list("pk", "urn"))
    kinds = {  # model: (fact type, key of a source row, key of a projected record)
        "AttendanceMonth": ("attendance", lambda f, d: (f.get("school_urn"), d),
                            lambda r: (urns[r.school_id], r.month)),
        "Exclusion": ("exclusion", lambda f, d: (f.get("school_urn"), d, "perm" in str(f.get("exclusion_type", "")).lower()),
                      lambda r: (urns[r.school_id], r.start_date, r.kind == "permanent")),
        "Enrolment": ("enrolment", lambda f, d: (f.get("school_urn"), d), lambda r: (urns[r.school_id], r.date_from)),
        "SENStatus": ("sen", lambda f, d: (f.get("sen_status"), d), lambda r: (r.status, r.recorded_on)),
    }
    for name, (fact_type, row_key, record_key) in kinds.items():
        model = apps.get_model("schools", name)
        rows = _record_keys(SourceRecord, fact_type, row_key)
        linked = []
        for record in model.objects.order_by("id").iterator(chunk_size=CHUNK):
            ids = rows.get((record.person_id, *record_key(record)))
            if ids:
                record.source_record_id = ids.pop()
                linked.append(record)
            if len(linked) >= CHUNK:
                model.objects.bulk_update(linked, ["source_record"])
                linked = []
        model.objects.bulk_update(linked, ["source_record"])



class Migration(migrations.Migration):

    dependencies = [
        ('schools', '0001_initial'),
        ('sources', '0005_batch_reinstates'),
    ]

    operations = [
        migrations.AddField(
            model_name='attendancemonth',
            name='source_record',
            field=models.ForeignKey(blank=True, help_text='The source row it was projected from; empty once a newer extract replaced that row', null=True, on_delete=django.db.models.deletion.SET_NULL, to='sources.sourcerecord'),
        ),
        migrations.AddField(
            model_name='enrolment',
            name='source_record',
            field=models.ForeignKey(blank=True, help_text='The source row it was projected from; empty once a newer extract replaced that row', null=True, on_delete=django.db.models.deletion.SET_NULL, to='sources.sourcerecord'),
        ),
        migrations.AddField(
            model_name='exclusion',
            name='source_record',
            field=models.ForeignKey(blank=True, help_text='The source row it was projected from; empty once a newer extract replaced that row', null=True, on_delete=django.db.models.deletion.SET_NULL, to='sources.sourcerecord'),
        ),
        migrations.AddField(
            model_name='senstatus',
            name='source_record',
            field=models.ForeignKey(blank=True, help_text='The source row it was projected from; empty once a newer extract replaced that row', null=True, on_delete=django.db.models.deletion.SET_NULL, to='sources.sourcerecord'),
        ),
        migrations.RunPython(links_fill, migrations.RunPython.noop),
    ]
