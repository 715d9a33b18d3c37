"""THE visibility rule for people and families, and the section filter beside it.

Every page, search, export, API endpoint and queue that shows a person or a family reads them
through this module, with the request's ``viewer`` (``apps.accounts.access.Viewer``, set once per
request by ``ViewerMiddleware``):

* ``Person.objects.visible_to(viewer)`` / ``Family.objects.visible_to(viewer)``: the records;
* ``person_q(viewer, via=...)`` / ``family_q(viewer, via=...)``: the same rule as a ``Q`` for rows
  reached through a join (a membership's family, a relationship's person, a source record's
  person), which filters the joined row itself and keeps every query on its indexes;
* ``sections_q(viewer, path=...)`` / ``visible_dataset_ids(viewer)``: facts only from the sections
  the viewer's role sees;
* ``get_visible_or_404``: anything the viewer may not see is a 404, never a 403.

Restricted records (``is_restricted``) are visible only to case readers the custodian named on
them (django-guardian direct object permissions) or who broke the glass, for its hours. Roles
without ``case.view``/``case.search`` see no person or family at all. This is NetBox's
``RestrictedQuerySet.restrict(user, action)``, for one action: read.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from apps.accounts.access import CASE_SEARCH, CASE_VIEW

NOTHING = Q(pk__in=[])  # a Q that matches no row


def _case_reader(viewer) -> bool:
    return viewer.can(CASE_VIEW) or viewer.can(CASE_SEARCH)


def _open_restricted(viewer, *, kind: str) -> tuple:
    """Ids of restricted records of ``kind`` open to the viewer: named on them, or break-glass in force."""
    from .models import BreakGlass, FamilyUserObjectPermission, PersonUserObjectPermission

    permission = PersonUserObjectPermission if kind == "person" else FamilyUserObjectPermission
    named = permission.objects.filter(user=viewer.user).values("content_object_id")
    broken = BreakGlass.objects.filter(user=viewer.user, expires_at__gt=timezone.now(), **{f"{kind}__isnull": False})
    return named, broken.values(kind)


def restriction_q(viewer, *, kind: str, via: str = "") -> Q:
    """The restriction half of the rule alone: not restricted, or open to the viewer (named, or break-glass).

    For pages that show a record's identity fields to roles that are not case readers (the
    clerical review queue); case pages use ``person_q`` / ``family_q``, which also need the role.
    """
    named, broken = _open_restricted(viewer, kind=kind)
    key = f"{via}id" if via else "pk"
    return Q(**{f"{via}is_restricted": False}) | Q(**{f"{key}__in": named}) | Q(**{f"{key}__in": broken})


def _record_q(viewer, *, kind: str, via: str) -> Q:
    if not _case_reader(viewer):
        return NOTHING
    q = restriction_q(viewer, kind=kind, via=via)
    key = f"{via}id" if via else "pk"
    if kind == "person" and not sees_every_dataset(viewer):
        # known only to datasets the role does not see: as if those records did not exist, there is no one
        from apps.sources.models import SourceRecord

        q &= Q(Exists(SourceRecord.objects.filter(person_id=OuterRef(key), dataset_id__in=visible_dataset_ids(viewer))))
    if kind == "family":
        # a family is a household with a dependent child: one whose only children the viewer may not see is none
        from .models import FamilyMembership

        children = FamilyMembership.objects.filter(family_id=OuterRef(key), role=FamilyMembership.Role.CHILD).filter(
            _person_id_q(viewer, field="person_id"))
        q &= Q(Exists(children))
    return q


def _person_id_q(viewer, *, field: str) -> Q:
    """``person_q`` for a row that holds a person's id in ``field`` (a non-null foreign key), without joining the person.

    The same rule, worded so PostgreSQL need not read the person: "not restricted" is "not among the restricted
    people" (a person exists for every id a foreign key holds), probed in the small partial index
    ``person_restricted_idx``. The family rule tests it for every child membership of every family it lists
    (read from ``membership_child_idx``), which a join with 170,000 people made the cost of every family list.
    """
    from .models import Person

    if not _case_reader(viewer):
        return NOTHING
    named, broken = _open_restricted(viewer, kind="person")
    q = ~Q(Exists(Person.objects.filter(pk=OuterRef(field), is_restricted=True))) | Q(**{f"{field}__in": named}) | Q(
        **{f"{field}__in": broken})
    if not sees_every_dataset(viewer):
        from apps.sources.models import SourceRecord

        q &= Q(Exists(SourceRecord.objects.filter(person_id=OuterRef(field), dataset_id__in=visible_dataset_ids(viewer))))
    return q


def person_q(viewer, *, via: str = "") -> Q:
    """The rule for people as a ``Q``; ``via`` reaches a person from another model (``"person__"``)."""
    return _record_q(viewer, kind="person", via=via)


def family_q(viewer, *, via: str = "") -> Q:
    """The rule for families as a ``Q``; ``via`` reaches a family from another model (``"family__"``)."""
    return _record_q(viewer, kind="family", via=via)


class PersonQuerySet(models.QuerySet):
    def visible_to(self, viewer):
        """The people ``viewer`` may see."""
        return self.filter(person_q(viewer))


class FamilyQuerySet(models.QuerySet):
    def visible_to(self, viewer):
        """The families ``viewer`` may see."""
        return self.filter(family_q(viewer))


def get_visible_or_404(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404("Page not found") from exc


# --- sections -----------------------------------------------------------------------------------


def sections_q(viewer, *, path: str) -> Q:
    """``Q`` limiting a fact queryset to the sections the viewer's role sees; ``path`` leads to a section code."""
    return Q(**{f"{path}__in": sorted(viewer.sections)})


def visible_dataset_ids(viewer) -> set[int]:
    """Datasets whose facts (records, aliases, addresses, enrolments) the viewer's role sees."""
    from apps.sources.models import Dataset

    if "dataset_ids" not in viewer.memo:
        viewer.memo["dataset_ids"] = frozenset(
            Dataset.objects.filter(sections_q(viewer, path="section__code")).values_list("pk", flat=True))
    return set(viewer.memo["dataset_ids"])


# --- a golden record as a viewer may see it ---------------------------------------------------------

IDENTIFIERS = ("nhs_number", "upn", "ni_number")


def sees_every_dataset(viewer) -> bool:
    from apps.sources.models import Dataset

    if "sees_every_dataset" not in viewer.memo:
        viewer.memo["sees_every_dataset"] = not Dataset.objects.exclude(section__code__in=sorted(viewer.sections)).exists()
    return viewer.memo["sees_every_dataset"]


def persons_as_seen(viewer, persons) -> list:
    """``persons`` with what only datasets hidden from the viewer say about them taken off (in memory, never saved).

    A golden record's identifiers and current address are chosen from every linked record; for a
    role that does not see every dataset, an identifier is kept only if a record of a dataset it
    sees carries the same value, and the current address only if an address spell from such a
    dataset is at it: otherwise the page shows "Not known", as it would if those records did not
    exist. (Names and dates of birth are the identity every page needs; see docs/access.md.)
    """
    from apps.sources.models import SourceRecord

    from .models import AddressHistory

    persons = [p for p in persons if p is not None]
    if not persons or sees_every_dataset(viewer):
        return persons
    datasets = visible_dataset_ids(viewer)
    ids = [p.pk for p in persons]
    carried = set()
    for pid, *values in SourceRecord.objects.filter(person_id__in=ids, dataset_id__in=datasets).values_list(
            "person_id", *IDENTIFIERS):
        carried |= {(field, pid, value) for field, value in zip(IDENTIFIERS, values, strict=True) if value}
    spells = set(AddressHistory.objects.filter(person_id__in=ids, dataset_id__in=datasets).values_list("person_id", "address_id"))
    for person in persons:
        for field in IDENTIFIERS:
            if getattr(person, field) and (field, person.pk, getattr(person, field)) not in carried:
                setattr(person, field, "")
        if person.current_address_id is not None and (person.pk, person.current_address_id) not in spells:
            person.current_address = None
    return persons
