from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.events, name="events"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("subjects/<slug:subject_type>/<str:subject_id>/", views.subject, name="subject"),
    path("users/<int:user_id>/", views.user_activity, name="user_activity"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/check/", views.alerts_compute, name="alerts_compute"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
]
