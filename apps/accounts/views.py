"""Sign-in, the user's own access, the custodian's access pages and the second factor.

Thin views: reads are plain querysets on access data (the custodian never reads
case data here), writes go through ``services``, each of which writes its audit event.
Restricted records and break-glass are pages of ``apps.people`` (``restriction_views``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from . import access, otp, services
from .access import ACTIVE_ROLE_SESSION_KEY, access_for, require_capability, require_signed_in
from .forms import AccessRequestForm, ApproveForm, ReasonForm, TokenForm, add_service_errors
from .models import AccessGrant, Role, Section


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["timeout"] = self.request.GET.get("timeout")
        return context


@require_signed_in
def home(request):
    """Send each user to the first page their role in use has."""
    user_access = access_for(request.user, request)
    for capability, url_name in (
        (access.CASE_SEARCH, "caseview:search"),
        (access.ACCESS_MANAGE, "accounts:custodian"),
        (access.AUDIT_REVIEW, "audit:events"),
        (access.INSIGHTS_VIEW, "indicators:insights"),
        (access.MATCHING_REVIEW, "matching:review_queue"),
        (access.IMPORTS_MANAGE, "sources:batches"),
    ):
        if user_access.can(capability):
            return redirect(reverse(url_name))
    return render(request, "accounts/home.html", {"access": user_access})


@require_signed_in
@require_POST
def switch_role(request):
    wanted = request.POST.get("role", "")
    if any(r.slug == wanted for r in access.active_roles(request.user)):
        request.session[ACTIVE_ROLE_SESSION_KEY] = wanted
    return redirect("home")


# --- the user's own access -----------------------------------------------------------
@require_signed_in
def my_access(request):
    """Ask for a role (justification, line manager) and see one's own requests and grants."""
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.access_request_create(
                user=request.user, role=form.cleaned_data["role"], justification=form.cleaned_data["justification"],
                line_manager=form.cleaned_data["line_manager"], request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your request has been sent to the data custodian.")
            return redirect("accounts:my_access")
    grants = AccessGrant.objects.filter(user=request.user).select_related("role")
    return render(request, "accounts/my_access.html", {
        "form": form, "grants": grants, "has_authenticator": otp.confirmed_device(request.user) is not None,
    })


# --- the custodian ----------------------------------------------------------------------
@require_capability(access.ACCESS_MANAGE)
def custodian(request):
    """The custodian's landing page: waiting requests, grants due for review, all active grants."""
    window = settings.ACCESS_REVIEW_WINDOW_DAYS
    grants = AccessGrant.objects.select_related("user", "role", "decided_by")
    due = grants.due_for_review(within_days=window).order_by("expires_at")
    waiting = grants.filter(status=AccessGrant.Status.REQUESTED).order_by("requested_at")
    active = grants.active().order_by("user__username", "role__name")
    shown = sorted({grant.pk for grant in (*waiting, *due, *active)})
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="grant", record_ids=shown,
                 details={"page": "custodian"}, result_count=len(shown))
    return render(request, "accounts/custodian.html", {
        "waiting": waiting,
        "due": due,
        "active": active,
        "due_caption": f"Due for review: ending within {window} days",
    })


@require_capability(access.ACCESS_MANAGE)
def request_decide(request, pk: int):
    grant = get_object_or_404(
        AccessGrant.objects.select_related("user", "role"), pk=pk, status=AccessGrant.Status.REQUESTED
    )
    approve_form = ApproveForm(request.POST if request.POST.get("decision") == "approve" else None)
    refuse_form = ReasonForm(request.POST if request.POST.get("decision") == "refuse" else None, prefix="refuse")
    if request.method == "POST":
        form = approve_form if request.POST.get("decision") == "approve" else refuse_form
        if form.is_valid():
            try:
                if form is approve_form:
                    services.access_grant_approve(
                        grant=grant, custodian=request.user, expires_at=form.expires_at,
                        reason=form.cleaned_data["reason"], request=request,
                    )
                    messages.success(request, f"{grant.user.get_username()} now has the role {grant.role.name}.")
                else:
                    services.access_grant_refuse(
                        grant=grant, custodian=request.user, reason=form.cleaned_data["reason"], request=request
                    )
                    messages.success(request, f"The request from {grant.user.get_username()} was refused.")
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("accounts:custodian")
    current = AccessGrant.objects.active().filter(user=grant.user).select_related("role")
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="user", subject_id=grant.user_id,
                 details={"page": "request_decide", "grant": grant.pk})
    return render(request, "accounts/request_decide.html", {
        "grant": grant, "approve_form": approve_form, "refuse_form": refuse_form, "current": current,
    })


@require_capability(access.ACCESS_MANAGE)
def grant_revoke(request, pk: int):
    grant = get_object_or_404(AccessGrant.objects.active().select_related("user", "role"), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.access_grant_revoke(
                grant=grant, custodian=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{grant.user.get_username()} no longer has the role {grant.role.name}.")
            return redirect("accounts:custodian")
    audit_record(action=AuditEvent.Action.VIEW_RECORD, request=request, subject_type="user", subject_id=grant.user_id,
                 details={"page": "grant_revoke", "grant": grant.pk})
    return render(request, "accounts/grant_revoke.html", {"grant": grant, "form": form})


@require_capability(access.ACCESS_MANAGE)
def role_matrix(request):
    """Each role: what it may do (with labels), which sections it sees, case role, OTP."""
    roles = Role.objects.prefetch_related("sections")
    sections = list(Section.objects.order_by("name"))
    rows = []
    for role in roles:
        seen = {s.code for s in role.sections.all()}
        rows.append({
            "role": role,
            "capabilities": [(code, access.ALL_CAPABILITIES.get(code, code)) for code in role.capabilities],
            "sections": [(section, section.code in seen) for section in sections],
        })
    return render(request, "accounts/role_matrix.html", {"rows": rows, "sections": sections})


@require_capability(access.ACCESS_MANAGE)
@require_POST
def role_otp(request, slug: str):
    role = get_object_or_404(Role, slug=slug)
    required = request.POST.get("requires_otp") == "on"
    services.role_otp_set(role=role, required=required, custodian=request.user, request=request)
    messages.success(
        request, f"{role.name}: a second factor is {'now required' if required else 'no longer required'}."
    )
    return redirect("accounts:role_matrix")


# --- second factor ---------------------------------------------------------------------------
@require_signed_in
def otp_setup(request):
    """Set up an authenticator app: create a key (POST), show it with a QR code, confirm with one code.

    A GET writes nothing: it shows the key of the user's unconfirmed device if there is one, else a
    button that creates it (POST, then back here), so reloading the page keeps the same key.
    """
    if otp.confirmed_device(request.user) is not None:
        if not request.user.is_verified():
            return redirect(f"{reverse('accounts:otp_verify')}?{request.GET.urlencode()}")
        messages.info(request, "You already have an authenticator app set up.")
        return redirect("accounts:my_access")
    device = otp.pending_device(request.user)
    if request.method == "POST" and request.POST.get("action") == "create":
        if device is None:
            otp.pending_device_create(request.user)
        return redirect(f"{reverse('accounts:otp_setup')}?{request.GET.urlencode()}")
    form = TokenForm(request.POST or None)
    if device is not None and request.method == "POST" and form.is_valid():
        error = otp.code_error(device, form.cleaned_data["token"])
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up.")
            return redirect(otp.safe_next(request, reverse("home")))
        form.add_error("token", error)
    context = {"form": form, "device": device, "next": otp.safe_next(request, "")}
    if device is not None:
        context |= {"secret": otp.secret_text(device), "uri": device.config_url, "qr": otp.qr_svg(device.config_url)}
    return render(request, "accounts/otp_setup.html", context)


@require_signed_in
def otp_verify(request):
    """Enter the current code from the authenticator app, once per session."""
    device = otp.confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('accounts:otp_setup')}?{request.GET.urlencode()}")
    if request.user.is_verified():
        return redirect(otp.safe_next(request, reverse("home")))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        error = otp.code_error(device, form.cleaned_data["token"])
        if error is None:
            otp_login(request, device)
            return redirect(otp.safe_next(request, reverse("home")))
        form.add_error("token", error)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": otp.safe_next(request, "")})
