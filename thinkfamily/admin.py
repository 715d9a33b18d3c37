"""The Django admin site: staff with a verified second factor only, and every page audited.

``thinkfamily.apps.ThinkFamilyAdminConfig`` replaces ``django.contrib.admin`` in ``INSTALLED_APPS``
and makes ``ThinkFamilyAdminSite`` the default site, so every ``admin.site.register``
(ours, Django's auth, django-otp's, django-axes') lands on it.

* **Second factor**: django-otp's ``OTPAdminSite`` lets in only an active staff
  user whose session has passed a TOTP check (``user.is_verified()``). The check
  itself is the app's own: signing in goes through ``accounts:login``, and
  ``SecondFactorMiddleware`` sends every staff user to set up or enter a code
  before any page (``apps.accounts.otp.second_factor_required``). The admin's own
  sign-in form is never shown.
* **Audit**: ``admin_view`` is the one wrapper every admin page goes through
  (each ``ModelAdmin``'s changelist, add, change, delete and history views, their
  custom views, the index, app index, autocomplete and password change), so a page
  cannot be registered without its audit. A GET is ``admin_view``, a POST
  ``admin_change``, one event per request through ``apps.audit.services.audit_record``,
  written in the request's transaction after the view ran: if the write fails,
  nothing is shown and nothing the POST changed is kept.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

# Site views that read nothing: translations for the admin's JavaScript, sign-out (audited
# as ``logout`` by the sign-in signals) and the catch-all that only adds a slash or 404s.
UNAUDITED_SITE_VIEWS = frozenset({"i18n_javascript", "logout", "catch_all_view"})
SUBJECT_TYPE_LENGTH = 20  # AuditEvent.subject_type


def _page_name(request, model_admin) -> str:
    """``changelist``, ``change``, ``add``, ``delete``, ``history`` (or a custom view's name)
    for a model's page; the URL name (``index``, ``app_list``, ...) for the site's own."""
    url_name = getattr(getattr(request, "resolver_match", None), "url_name", None) or ""
    if model_admin is not None:
        prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_"
        return url_name.removeprefix(prefix)
    return url_name


def _changelist(response):
    """The ``ChangeList`` a changelist page rendered (its ``result_list`` is the page shown), or None."""
    return (getattr(response, "context_data", None) or {}).get("cl")


def _object_id(kwargs: dict) -> str:
    """The object a model page is about: ``object_id`` for the admin's own views, ``id`` for
    the user admin's password page."""
    return next((str(kwargs[key]) for key in ("object_id", "id", "pk") if key in kwargs), "")


def _changes_since(request, log_after: int | None) -> list[dict]:
    """What the admin itself logged as done in this request (its history): added, changed
    (which fields) or deleted, by object. Empty when the form was refused."""
    flags = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}
    entries = LogEntry.objects.filter(pk__gt=log_after or 0, user_id=request.user.pk).order_by("pk")
    return [
        {"object_id": entry.object_id, "object": entry.object_repr,
         "action": flags.get(entry.action_flag, str(entry.action_flag)), "message": entry.get_change_message()}
        for entry in entries
    ]


def _audit_admin_request(*, request, response, model_admin, kwargs: dict, log_after: int | None) -> None:
    from apps.audit.models import AuditEvent
    from apps.audit.services import audit_record

    writing = request.method == "POST"
    details = {
        "page": _page_name(request, model_admin),
        "method": request.method,
        "status": response.status_code,
        "path": request.path,
    }
    if request.GET:
        details["query"] = {key: request.GET.getlist(key) for key in request.GET}
    if model_admin is not None:
        details["model"] = model_admin.opts.label_lower
    if writing:
        details["changes"] = _changes_since(request, log_after)
    changelist = _changelist(response)
    audit_record(
        action=AuditEvent.Action.ADMIN_CHANGE if writing else AuditEvent.Action.ADMIN_VIEW,
        request=request,
        subject_type=(model_admin.opts.model_name if model_admin is not None else "admin")[:SUBJECT_TYPE_LENGTH],
        subject_id=_object_id(kwargs),
        record_ids=[obj.pk for obj in changelist.result_list] if changelist is not None else (),
        details=details,
        result_count=changelist.result_count if changelist is not None else None,
    )


def audited(view):
    """Run ``view`` and write one audit event for the request (see the module docstring)."""
    owner = getattr(view, "__self__", None)
    model_admin = owner if hasattr(owner, "opts") else None

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        log_after = None
        if request.method == "POST":
            log_after = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        response = view(request, *args, **kwargs)
        _audit_admin_request(request=request, response=response, model_admin=model_admin, kwargs=kwargs,
                             log_after=log_after)
        return response

    return wrapper


class ThinkFamilyAdminSite(OTPAdminSite):
    site_header = "ThinkFamily administration"
    site_title = "ThinkFamily administration"
    index_title = "Reference data and accounts"

    def __init__(self, name="admin"):
        super().__init__(name)

    def admin_view(self, view, cacheable=False):
        skip = (
            getattr(view, "__self__", None) is self and getattr(view, "__name__", "") in UNAUDITED_SITE_VIEWS
        ) or getattr(view, "view_class", None) is RedirectView  # ModelAdmin's old "<id>/" URL: a redirect
        return super().admin_view(view if skip else audited(view), cacheable)

    def login(self, request, extra_context=None):
        """No sign-in form of its own: the app's sign-in (with its lockout, audit and
        second factor) and then back here. A signed-in user who is not verified staff
        gets the same 404 as any page their role lacks."""
        if not request.user.is_authenticated:
            target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
            return redirect_to_login(target)
        if self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        raise Http404("Page not found")
