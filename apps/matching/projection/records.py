"""The projection's input: the linked source records of a chunk of persons, as plain dicts.

Every source row is read: only a dataset's current extract holds rows (a load replaces the
earlier extract's rows in the transaction that makes it current; a refused load writes none),
so there is no "current batch" to ask for (``tests/matching/test_projection.py`` shows it).
"""

from __future__ import annotations

from django.db.models.fields.json import KT

from apps.sources.models import SourceRecord

BATCH = 2000
RECORD_FIELDS = (
    "id", "person_id", "dataset_id", "forename", "surname", "date_of_birth", "sex", "postcode", "address_key",
    "uprn", "nhs_number", "upn", "ni_number", "fact_type", "fact_date", "fact", "address_line", "middle_names",
)


def records_of(person_ids: list[int]) -> list[dict]:
    """The linked records of ``person_ids`` (a chunk: its ids are read as a range)."""
    qs = SourceRecord.objects.filter(person_id__gte=person_ids[0], person_id__lte=person_ids[-1])
    if len(person_ids) < person_ids[-1] - person_ids[0] + 1:  # the range holds persons outside the chunk
        qs = qs.filter(person_id__in=person_ids)
    qs = qs.annotate(address_line=KT("raw__address"), middle_names=KT("raw__middle_names")).order_by()
    return list(qs.values(*RECORD_FIELDS).iterator(chunk_size=BATCH))


def linked_persons() -> list[int]:
    return sorted(
        SourceRecord.objects.filter(person__isnull=False)
        .order_by().values_list("person_id", flat=True).distinct()
    )
