"""Load this app's reference data after every ``migrate``: organisations and legal gateways of
``fixtures/reference.json``, and the default datasets of ``fixtures/datasets/*.json``.

Organisations and gateways are made the file's (update-or-create by natural key).
A dataset is different: it is defined once, from its descriptor file, when the
database does not have it, and from then on the database row is its definition
(the custodian edits it on the datasets page): ``migrate`` never overwrites it.
A dataset row from before descriptors (no ``descriptor`` yet) gets its file's,
with what was edited in its columns kept. A dataset's section is the accounts
app's, loaded before this.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from apps.common.reference import REFERENCE_FILE, reference_rows, rows_upsert

from .descriptors import DESCRIPTOR_DIR, default_descriptors


@transaction.atomic
def sources_reference_load(*, path: Path = REFERENCE_FILE, datasets_dir: Path = DESCRIPTOR_DIR) -> dict[str, int]:
    from .dataset_services import dataset_row_write
    from .models import Dataset, LegalGateway, Organisation

    orgs = rows_upsert(Organisation, reference_rows("organisations", path=path), key="code", fields=("name",))
    gateways = rows_upsert(
        LegalGateway, reference_rows("legal_gateways", path=path), key="number", fields=("name", "named_in_source")
    )
    existing = {d.code: d for d in Dataset.objects.all()}
    created = 0
    for descriptor in default_descriptors(datasets_dir):
        dataset = existing.get(descriptor["code"])
        if dataset is None:
            dataset_row_write(dataset=Dataset(code=descriptor["code"]), descriptor=descriptor,
                              reason="default definition loaded by migrate")
            created += 1
        elif not dataset.descriptor:  # defined before descriptors: the file's, with the row's own edits kept
            dataset_row_write(dataset=dataset, descriptor=_with_row_edits(descriptor, dataset),
                              reason="definition recorded from the default file and the row's own fields")
    return {"organisations": len(orgs), "legal_gateways": len(gateways), "datasets": Dataset.objects.count(),
            "datasets_created": created}


def _with_row_edits(descriptor: dict, dataset) -> dict:
    return descriptor | {
        "name": dataset.name, "provider": dataset.provider.code, "category": dataset.category,
        "section": dataset.section.code, "retention_days": dataset.retention_days, "validated": dataset.validated,
        "cadence": dataset.cadence, "trust_rank": dataset.trust_rank, "description": dataset.description,
        "gateways": sorted(dataset.gateways.values_list("number", flat=True)) or descriptor["gateways"],
    }
