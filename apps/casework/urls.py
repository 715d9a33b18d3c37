from django.urls import path

from . import claim_views, views

app_name = "casework"

urlpatterns = [
    path("cases/<int:pk>/", views.case, name="case"),
    # results claims and the quarterly return (claim_views)
    path("claims/", claim_views.claims, name="claims"),
    path("claims/export.csv", claim_views.claims_csv, name="claims_csv"),
    path("claims/<int:pk>/evidence/", claim_views.claim_evidence, name="claim_evidence"),
    path("claims/<int:pk>/submit/", claim_views.claim_submit_view, name="claim_submit"),
    path("claims/overrides/", claim_views.overrides, name="overrides"),
    path("claims/needs/<int:pk>/override/", claim_views.need_override_view, name="need_override"),
    path("quarterly-return/", claim_views.quarterly_return, name="quarterly_return"),
    path("quarterly-return/export.csv", claim_views.quarterly_return_csv, name="quarterly_return_csv"),
]
