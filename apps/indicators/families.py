"""Family criteria of every family in a refresh's scope, from their current members and the indicators they hold.

Reads the memberships current on the refresh date and the (person, indicator, highest
value) rows of those members, computes each family's criteria with the one function
pages use too (``criteria.criteria_compute``), and replaces the scope's ``FamilyCriteria`` rows.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from apps.common.dates import as_date
from apps.people.models import Family, FamilyMembership, Person

from .criteria import Catalogue, criteria_compute, group_held
from .models import FamilyCriteria, PersonIndicator, RefreshRun
from .sql import fetch, scope_clause, table

if TYPE_CHECKING:
    from .derived import Period
    from .refresh import Scope


def family_criteria_rebuild(period: Period, scope: Scope, run: RefreshRun | None) -> dict[str, int]:
    """Badges, headline problems, eligibility, risk and cost of every family in scope, from current members."""
    current = ("(m.date_from IS NULL OR m.date_from <= %s) AND (m.date_to IS NULL OR m.date_to >= %s)")
    where, params = scope_clause("m.family_id", scope.family_ids)
    members = fetch(
        f"SELECT m.family_id, m.person_id, p.date_of_birth FROM {table(FamilyMembership)} m "
        f"JOIN {table(Person)} p ON p.id = m.person_id WHERE {current}{where}",
        [period.as_of, period.as_of, *params],
    )
    held = fetch(
        f"SELECT m.family_id, pi.person_id, pi.definition_id, MAX(pi.value) FROM {table(FamilyMembership)} m "
        f"JOIN {table(PersonIndicator)} pi ON pi.person_id = m.person_id WHERE {current}{where} "
        f"GROUP BY m.family_id, pi.person_id, pi.definition_id",
        [period.as_of, period.as_of, *params],
    )
    catalogue = Catalogue.load()
    family_ids = scope.family_ids if scope.family_ids is not None else list(Family.objects.values_list("pk", flat=True))
    members_by_family: dict[int, list] = defaultdict(list)
    for family_id, person_id, dob in members:
        members_by_family[family_id].append((person_id, as_date(dob)))
    held_by_family = group_held(held)
    rows = [
        FamilyCriteria(
            family_id=family_id, refresh_run=run,
            **criteria_compute(as_of=period.as_of, members=members_by_family.get(family_id, []),
                               held=held_by_family.get(family_id, []), catalogue=catalogue).model_fields(),
        )
        for family_id in family_ids
    ]
    old = FamilyCriteria.objects.all()
    if scope.family_ids is not None:
        old = old.filter(family_id__in=scope.family_ids)
    old.delete()
    FamilyCriteria.objects.bulk_create(rows, batch_size=2000)
    return {"families": len(rows), "eligible": sum(r.is_eligible for r in rows)}
