"""Which cases a viewer may read: the one rule, for every casework page, list, export and count.

A case is visible when its family is visible to the viewer (``apps.people.visibility.family_q``:
restricted families, roles without case access) **and** the viewer has a part in it:

* ``casework.work``: cases they lead;
* ``casework.triage``: cases of the teams they manage, and cases not yet allocated to a team;
* ``casework.claims``: cases past closure (what claims and the quarterly return are made from).

Anything else is a 404, as if the case did not exist.

Inside a visible case, a confirmed need (``CaseNeed``) is seen by a reader when it concerns no one, or at least
one of its members is visible to them (``case_need_q``): a need about members the reader may not see only
(a child restricted since) is, for them, no need: not listed, not counted.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from apps.accounts.access import CASE_CLAIMS, CASE_TRIAGE, CASEWORK
from apps.people.visibility import NOTHING, family_q, person_q

PAST_CLOSURE = ("closed", "outcome_checked", "claimed")


def managed_team_ids(viewer):
    from apps.accounts.models import TeamMembership

    if "managed_team_ids" not in viewer.memo:
        viewer.memo["managed_team_ids"] = frozenset(
            TeamMembership.objects.filter(user=viewer.user, is_manager=True).values_list("team_id", flat=True))
    return set(viewer.memo["managed_team_ids"])


def case_q(viewer, *, via: str = "") -> Q:
    """The rule as a ``Q``; ``via`` reaches a case from another model (``"case__"``)."""
    part = NOTHING
    if viewer.can(CASEWORK):
        part |= Q(**{f"{via}lead_practitioner": viewer.user})
    if viewer.can(CASE_TRIAGE):
        part |= Q(**{f"{via}team_id__in": sorted(managed_team_ids(viewer))}) | Q(**{f"{via}team__isnull": True})
    if viewer.can(CASE_CLAIMS):
        part |= Q(**{f"{via}state__in": PAST_CLOSURE})
    if part == NOTHING:
        return NOTHING
    return part & family_q(viewer, via=f"{via}family__")


class CaseQuerySet(models.QuerySet):
    def visible_to(self, viewer):
        """The cases ``viewer`` may read."""
        return self.filter(case_q(viewer))


def case_need_q(viewer) -> Q:
    """Confirmed needs (``CaseNeed``) the viewer sees: about no one, or about at least one member they may see."""
    from .models import CaseNeed

    members = CaseNeed.persons.through.objects.filter(caseneed_id=OuterRef("pk"))
    return ~Q(Exists(members)) | Q(Exists(members.filter(person_q(viewer, via="person__"))))
