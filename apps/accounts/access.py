"""The one place that decides what a user may do and see.

Every page, API endpoint, export and search goes through these helpers:

* ``capabilities_for(user)`` / ``require_capability`` - which pages and actions;
* ``sections_for(user)`` - which indicator categories and datasets may be shown;
* ``visible_persons(user)`` / ``visible_families(user)`` - which records, with
  restricted records only for users named on them or who broke the glass.

Anything a user may not see is a 404, never a 403 that confirms it exists.
Roles come only from active grants, so an expired or revoked grant stops
working on the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from .models import AccessGrant, Role

ACTIVE_ROLE_SESSION_KEY = "active_role"

# Capabilities (pages and actions). Roles list these in fixtures/roles.json.
CASE_SEARCH = "case.search"
CASE_VIEW = "case.view"  # person, family, attendance, address pages
CASE_BREAK_GLASS = "case.break_glass"
ACCESS_MANAGE = "access.manage"
AUDIT_REVIEW = "audit.review"
IMPORTS_MANAGE = "imports.manage"
MATCHING_REVIEW = "matching.review"
INSIGHTS_VIEW = "insights.view"
ALL_CAPABILITIES = {
    CASE_SEARCH: "Search people and families",
    CASE_VIEW: "View person, family, attendance and address pages",
    CASE_BREAK_GLASS: "Break the glass on a restricted record, giving a reason",
    ACCESS_MANAGE: "Decide access requests, review and revoke grants, restrict records",
    AUDIT_REVIEW: "Query the audit log and review alerts",
    IMPORTS_MANAGE: "Upload source extracts and see data-quality reports",
    MATCHING_REVIEW: "Label record pairs in the clerical review queue",
    INSIGHTS_VIEW: "See aggregate figures, never individual people",
}


@dataclass(frozen=True)
class Access:
    """What one user may do and see on this request."""

    roles: tuple[Role, ...] = ()
    active_role: Role | None = None
    capabilities: frozenset[str] = field(default_factory=frozenset)
    sections: frozenset[str] = field(default_factory=frozenset)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def sees(self, section_code: str | None) -> bool:
        return section_code is None or section_code in self.sections


NO_ACCESS = Access()


def active_roles(user) -> list[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    role_ids = AccessGrant.objects.active().filter(user=user).values("role_id")
    return list(Role.objects.filter(pk__in=role_ids).prefetch_related("sections").order_by("name"))


def access_for(user, request=None) -> Access:
    """Resolve (and cache on the request) what ``user`` may do and see.

    A user with several roles acts in one at a time (chosen in the header);
    capabilities and sections are those of the role in use.
    """
    if request is not None and getattr(request, "_tf_access_user", None) == getattr(user, "pk", None):
        return request._tf_access
    roles = active_roles(user)
    active = None
    if roles:
        wanted = request.session.get(ACTIVE_ROLE_SESSION_KEY) if request is not None else None
        active = next((r for r in roles if r.slug == wanted), roles[0])
    result = (
        Access(
            roles=tuple(roles),
            active_role=active,
            capabilities=frozenset(active.capabilities),
            sections=frozenset(s.code for s in active.sections.all()),
        )
        if active
        else NO_ACCESS
    )
    if request is not None:
        request._tf_access = result
        request._tf_access_user = getattr(user, "pk", None)
    return result


def require_capability(capability: str):
    """View decorator: log in first, then 404 unless the role in use has ``capability``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not access_for(request.user, request).can(capability):
                raise Http404("Page not found")
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability
        return wrapped

    return decorator


def require_signed_in(view):
    """View decorator for pages every signed-in user has, with or without a role
    (their own access requests, their second factor). Sets ``required_capability``
    to ``None`` so the permission matrix knows the page is meant for everyone signed in."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.required_capability = None
    return wrapped


def _case_reader(user, request) -> bool:
    access = access_for(user, request)
    return access.can(CASE_VIEW) or access.can(CASE_SEARCH)


def _open_restricted_ids(user, *, permission_model, break_glass_field: str):
    """Ids of restricted records open to ``user``: named by the custodian
    (a django-guardian direct object permission) or break-glass still in force."""
    from apps.people.models import BreakGlass  # noqa: PLC0415 - people depends on accounts, not back

    named = permission_model.objects.filter(user=user).values("content_object_id")
    broken = BreakGlass.objects.filter(user=user, expires_at__gt=timezone.now(), **{f"{break_glass_field}__isnull": False})
    return named, broken.values(break_glass_field)


NOTHING = Q(pk__in=[])  # a Q that matches no row


def person_visibility_q(user, request=None, *, via: str = "") -> Q:
    """THE visibility rule for people, as a Q. ``via`` reaches a person from another model
    (``"person__"``, ``"related_person__"``) so the rule filters the joined row itself, which
    keeps every query on its indexes at scale."""
    from apps.people.models import PersonUserObjectPermission  # noqa: PLC0415

    if not _case_reader(user, request):
        return NOTHING
    named, broken = _open_restricted_ids(user, permission_model=PersonUserObjectPermission, break_glass_field="person")
    key = f"{via}id" if via else "pk"
    return Q(**{f"{via}is_restricted": False}) | Q(**{f"{key}__in": named}) | Q(**{f"{key}__in": broken})


def family_visibility_q(user, request=None, *, via: str = "") -> Q:
    """THE visibility rule for families, as a Q (see ``person_visibility_q``)."""
    from apps.people.models import FamilyUserObjectPermission  # noqa: PLC0415

    if not _case_reader(user, request):
        return NOTHING
    named, broken = _open_restricted_ids(user, permission_model=FamilyUserObjectPermission, break_glass_field="family")
    key = f"{via}id" if via else "pk"
    return Q(**{f"{via}is_restricted": False}) | Q(**{f"{key}__in": named}) | Q(**{f"{key}__in": broken})


def visible_persons(user, request=None):
    """People the user may see: every page, search, export and API reads people from here."""
    from apps.people.models import Person  # noqa: PLC0415

    return Person.objects.filter(person_visibility_q(user, request))


def visible_families(user, request=None):
    """Families the user may see (see ``visible_persons``)."""
    from apps.people.models import Family  # noqa: PLC0415

    return Family.objects.filter(family_visibility_q(user, request))


def get_visible_or_404(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404("Page not found") from exc
