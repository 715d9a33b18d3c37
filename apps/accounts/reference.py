"""Load this app's reference data (sections and roles of ``fixtures/reference.json``) after every ``migrate``.

Idempotent. Sections are updated to the file's; a role is created from the file
once and never overwritten afterwards: an administrator's later edits to it
(name, capabilities, sections, second factor) are kept.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from apps.common.reference import REFERENCE_FILE, reference_rows, rows_upsert


@transaction.atomic
def accounts_reference_load(*, path: Path = REFERENCE_FILE) -> dict[str, int]:
    from .models import Role, Section

    sections = rows_upsert(Section, reference_rows("sections", path=path), key="code", fields=("name", "description"))
    roles = reference_rows("roles", path=path)
    for r in roles:
        role, created = Role.objects.get_or_create(
            slug=r["slug"],
            defaults={
                "name": r["name"],
                "description": r["description"],
                "capabilities": r["capabilities"],
                "is_case_role": r["is_case_role"],
                "purpose_requires_reference": r.get("purpose_requires_reference", False),
            },
        )
        if created:  # an administrator's later edits to a role are kept
            role.sections.set([sections[s] for s in r["sections"]])
    return {"sections": len(sections), "roles": len(roles)}
