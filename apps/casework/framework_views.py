"""The programme frameworks page (capability ``casework.claims``): each framework's headlines, needs, indicators and
outcome measures, and the one action, making a framework the active one (which queues a full refresh).

No personal data: frameworks are reference data."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts import access as acl
from apps.indicators.framework_selectors import framework_shown, frameworks_all
from apps.indicators.models import Framework
from apps.indicators.tasks import refresh_indicators_task

from .framework_services import FrameworkAlreadyActive
from .framework_services import framework_activate as framework_activate_service


@acl.require_capability(acl.CASE_CLAIMS)
def frameworks(request):
    return render(request, "casework/frameworks.html", {"frameworks": frameworks_all()})


@acl.require_capability(acl.CASE_CLAIMS)
def framework(request, code: str):
    return render(request, "casework/framework.html", {"shown": framework_shown(code=code)})


@require_POST
@acl.require_capability(acl.CASE_CLAIMS)
def framework_activate(request, code: str):
    found = get_object_or_404(Framework, code=code)
    try:
        framework_activate_service(framework=found, by=request.user, request=request)
    except FrameworkAlreadyActive as exc:
        messages.info(request, str(exc))
        return redirect("casework:framework", code=found.code)
    transaction.on_commit(lambda: refresh_indicators_task.delay())
    messages.success(request, f"{found.name} is now the active framework. Family criteria are being recalculated "
                              "for it; the eligible list follows when the refresh finishes.")
    return redirect("casework:framework", code=found.code)
