"""Writes of the indicators app: the refresh of derived indicators, risk scores and family criteria."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from apps.people.models import Family

from .models import RefreshRun
from .refresh import Progress, Scope, refresh


def indicators_refresh(
    *, family_reference: str | None = None, as_of: dt.date | None = None, progress: Progress | None = None
) -> RefreshRun:
    """Refresh everyone, or only the members and families of one family (``family_reference``).

    The figures change in one transaction: readers see the old ones until the
    new ones are complete, and a failure changes nothing (the returned run, or
    the ``RefreshRun`` row of a failure, says what happened). Raises
    ``Family.DoesNotExist`` for an unknown reference.
    """
    as_of = as_of or timezone.localdate()
    if family_reference:
        scope = Scope.of_family(Family.objects.get(reference=family_reference))
    else:
        scope = Scope.everyone()
    run = RefreshRun.objects.create(
        scope=RefreshRun.Scope.FAMILY if family_reference else RefreshRun.Scope.FULL,
        family_reference=family_reference or "", as_of=as_of,
    )
    return refresh(run=run, scope=scope, progress=progress or (lambda stage, **figures: None))
