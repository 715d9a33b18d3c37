"""Load this app's reference data (postcode-district areas of ``fixtures/reference.json``) after every ``migrate``.

Idempotent (update-or-create by district).
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from apps.common.reference import REFERENCE_FILE, reference_rows, rows_upsert


@transaction.atomic
def people_reference_load(*, path: Path = REFERENCE_FILE) -> dict[str, int]:
    from .models import PostcodeArea

    areas = rows_upsert(PostcodeArea, reference_rows("postcode_areas", path=path), key="district", fields=("area",))
    return {"postcode_areas": len(areas)}
