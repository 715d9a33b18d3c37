from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from apps.accounts import views as account_views


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


# Every view that is not public is wrapped in apps.accounts.access.require_capability(...);
# tests/accounts/test_permission_matrix.py walks this URL configuration to prove it.
urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("apps.accounts.urls")),
    path("people/", include("apps.caseview.urls")),
    path("people/", include("apps.people.urls")),
    path("api/", include("apps.caseview.api_urls")),
    path("imports/", include("apps.sources.urls")),
    path("matching/", include("apps.matching.urls")),
    path("addresses/", include("apps.gazetteer.urls")),
    path("insights/", include("apps.indicators.urls")),
    path("casework/", include("apps.casework.urls")),
    path("audit/", include("apps.audit.urls")),
    path("admin/", admin.site.urls),
]
