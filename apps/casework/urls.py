from django.urls import path

from . import views

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
]
