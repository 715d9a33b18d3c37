from django.urls import path

from . import claim_views, framework_views, notification_views, pack_views, plan_views, views

app_name = "casework"

urlpatterns = [
    path("eligible/", views.eligible, name="eligible"),
    path("eligible/<int:family_pk>/open/", views.case_open, name="case_open"),
    path("mine/", views.my_families, name="my_families"),
    path("team/", views.team_cases, name="team_cases"),
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/triage/", views.case_triage, name="case_triage"),
    path("cases/<int:pk>/consent/", views.case_consent, name="case_consent"),
    path("cases/<int:pk>/allocate/", views.case_allocate, name="case_allocate"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("cases/<int:pk>/team/", views.case_team, name="case_team"),
    path("cases/<int:pk>/progress/", pack_views.case_progress, name="case_progress"),
    path("cases/<int:pk>/pack/", pack_views.case_pack, name="case_pack"),
    path("cases/<int:pk>/pack.pdf", pack_views.case_pack_pdf, name="case_pack_pdf"),
    # assessment and outcome plan (plan_views)
    path("cases/<int:pk>/plan/", plan_views.case_plan, name="case_plan"),
    path("cases/<int:pk>/plan/confirm/", plan_views.need_confirm, name="plan_need_confirm"),
    path("cases/<int:pk>/plan/remove/", plan_views.need_remove, name="plan_need_remove"),
    path("cases/<int:pk>/plan/outcome/", plan_views.outcome_record, name="plan_outcome_record"),
    path("cases/<int:pk>/plan/complete/", plan_views.assessment_complete, name="plan_assessment_complete"),
    path("cases/<int:pk>/plan/agree/", plan_views.plan_agree, name="plan_agree"),
    # results claims and the quarterly return (claim_views)
    path("claims/", claim_views.claims, name="claims"),
    path("claims/export.csv", claim_views.claims_csv, name="claims_csv"),
    path("claims/<int:pk>/evidence/", claim_views.claim_evidence, name="claim_evidence"),
    path("claims/<int:pk>/submit/", claim_views.claim_submit_view, name="claim_submit"),
    path("claims/overrides/", claim_views.overrides, name="overrides"),
    path("claims/needs/<int:pk>/override/", claim_views.need_override_view, name="need_override"),
    path("quarterly-return/", claim_views.quarterly_return, name="quarterly_return"),
    path("quarterly-return/export.csv", claim_views.quarterly_return_csv, name="quarterly_return_csv"),
    path("frameworks/", framework_views.frameworks, name="frameworks"),
    path("frameworks/<slug:code>/", framework_views.framework, name="framework"),
    path("frameworks/<slug:code>/activate/", framework_views.framework_activate, name="framework_activate"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification_read"),
    path("markers/", notification_views.markers, name="markers"),
    path("markers/export/", notification_views.markers_export, name="markers_export"),
    path("markers/<int:pk>/acknowledge/", notification_views.marker_acknowledge, name="marker_acknowledge"),
]
