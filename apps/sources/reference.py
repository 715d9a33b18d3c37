"""Load this app's reference data after every ``migrate``: organisations and legal gateways of
``fixtures/reference.json``, and the datasets of the import catalogue (``catalogue.py``).

Idempotent (update-or-create by natural key): the rows are made the file's and
the catalogue's. A dataset's section is the accounts app's, loaded before this.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from apps.common.reference import REFERENCE_FILE, reference_rows, rows_upsert


@transaction.atomic
def sources_reference_load(*, path: Path = REFERENCE_FILE) -> dict[str, int]:
    from apps.accounts.models import Section

    from .catalogue import DATASETS
    from .models import Dataset, LegalGateway, Organisation

    orgs = rows_upsert(Organisation, reference_rows("organisations", path=path), key="code", fields=("name",))
    gateways = rows_upsert(
        LegalGateway, reference_rows("legal_gateways", path=path), key="number", fields=("name", "named_in_source")
    )
    sections = {s.code: s for s in Section.objects.all()}
    for spec in DATASETS:
        dataset, _ = Dataset.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "provider": orgs[spec.provider],
                "category": spec.category,
                "section": sections[spec.section],
                "retention_days": spec.retention_days,
                "validated": spec.validated,
                "cadence": spec.cadence,
                "trust_rank": spec.trust_rank,
                "description": spec.description,
            },
        )
        dataset.gateways.set([gateways[g] for g in spec.gateways])
    return {"organisations": len(orgs), "legal_gateways": len(gateways), "datasets": len(DATASETS)}
