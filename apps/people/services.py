"""Writes for the people app."""

from __future__ import annotations

from django.db import transaction

from .models import Address, PostcodeArea


@transaction.atomic
def address_areas_assign(*, only_missing: bool = True) -> int:
    """Give each address the area of its postcode district (reference data ``PostcodeArea``).

    One indexed UPDATE per district; returns how many addresses changed. Run after the
    projection creates addresses, and after the council changes its area map
    (``only_missing=False``).
    """
    changed = 0
    for district, area in PostcodeArea.objects.values_list("district", "area"):
        addresses = Address.objects.filter(postcode__startswith=f"{district} ")
        if only_missing:
            addresses = addresses.filter(area="")
        changed += addresses.exclude(area=area).update(area=area)
    return changed
