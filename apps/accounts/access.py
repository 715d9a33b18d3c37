"""Who the user is acting as on this request: their role, its capabilities and sections.

* ``access_for(user, request)``: the role in use, its capabilities (pages and actions) and its
  sections (indicator categories and datasets);
* ``Viewer``: the user with that access, resolved once per request by ``ViewerMiddleware``
  (``request.viewer``) and passed alone to every selector;
* ``require_capability`` / ``require_signed_in``: the view decorators every page wears.

Which people and families a viewer may see is decided in ``apps.people.visibility``
(``Person.objects.visible_to(viewer)``). Anything a user may not see is a 404, never a 403 that
confirms it exists. Roles come only from active grants, so an expired or revoked grant stops
working on the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from .models import AccessGrant, Role

ACTIVE_ROLE_SESSION_KEY = "active_role"

# Capabilities (pages and actions). Roles list these in fixtures/reference.json ("roles").
CASE_SEARCH = "case.search"
CASE_VIEW = "case.view"  # person, family, attendance, address pages
CASE_BREAK_GLASS = "case.break_glass"
ACCESS_MANAGE = "access.manage"
AUDIT_REVIEW = "audit.review"
IMPORTS_MANAGE = "imports.manage"
DATASETS_MANAGE = "datasets.manage"
MATCHING_REVIEW = "matching.review"
INSIGHTS_VIEW = "insights.view"
CASE_TRIAGE = "casework.triage"  # managers: the eligible list, triage, allocation, their team's cases
CASEWORK = "casework.work"  # key workers and social workers: their own cases
CASE_CLAIMS = "casework.claims"  # programme managers: the framework, results claims, the quarterly return
CASE_MARKERS = "casework.markers"  # the police partner: marker requests, their export and acknowledgement
ALL_CAPABILITIES = {
    CASE_SEARCH: "Search people and families",
    CASE_VIEW: "View person, family, attendance and address pages",
    CASE_BREAK_GLASS: "Break the glass on a restricted record, giving a reason",
    ACCESS_MANAGE: "Decide access requests, review and revoke grants, restrict records",
    AUDIT_REVIEW: "Query the audit log and review alerts",
    IMPORTS_MANAGE: "Upload source extracts and see data-quality reports",
    DATASETS_MANAGE: "Define source datasets and change their definitions",
    MATCHING_REVIEW: "Label record pairs in the clerical review queue",
    INSIGHTS_VIEW: "See aggregate figures, never individual people",
    CASE_TRIAGE: "Triage eligible families, allocate lead practitioners and read their team's cases",
    CASEWORK: "Work cases as lead practitioner: consent, assessment, outcome plan, closure",
    CASE_CLAIMS: "Choose the programme framework, check outcomes, submit results claims and the quarterly return",
    CASE_MARKERS: "Police partner: marker requests",
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


@dataclass(frozen=True, eq=False)
class Viewer:
    """A user acting in a role on one request: what every selector is given, alone.

    ``apps.people.visibility`` turns it into the records it may see; ``can`` and ``sees`` answer
    for the role in use.
    """

    user: object
    access: Access
    memo: dict = field(default_factory=dict, repr=False)  # per-request answers derived from the role (e.g. datasets seen)

    @classmethod
    def for_request(cls, request) -> Viewer:
        return cls(user=request.user, access=access_for(request.user, request))

    @classmethod
    def for_user(cls, user) -> Viewer:
        """Outside a request (commands, tests): the user's first role."""
        return cls(user=user, access=access_for(user))

    @property
    def sections(self) -> frozenset[str]:
        return self.access.sections

    def can(self, capability: str) -> bool:
        return self.access.can(capability)

    def sees(self, section_code: str | None) -> bool:
        return self.access.sees(section_code)
