from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import access
from .access import ACTIVE_ROLE_SESSION_KEY, access_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["timeout"] = self.request.GET.get("timeout")
        return context


@login_required
def home(request):
    """Send each user to the first page their role in use has."""
    user_access = access_for(request.user, request)
    for capability, url_name in (
        (access.CASE_SEARCH, "people:search"),
        (access.ACCESS_MANAGE, "accounts:custodian"),
        (access.AUDIT_REVIEW, "audit:events"),
        (access.IMPORTS_MANAGE, "sources:batches"),
    ):
        if user_access.can(capability):
            try:
                return redirect(reverse(url_name))
            except Exception:  # noqa: BLE001 - page not built yet: fall through to the next
                continue
    return render(request, "accounts/home.html", {"access": user_access})


@login_required
@require_POST
def switch_role(request):
    wanted = request.POST.get("role", "")
    if any(r.slug == wanted for r in access.active_roles(request.user)):
        request.session[ACTIVE_ROLE_SESSION_KEY] = wanted
    return redirect("home")
