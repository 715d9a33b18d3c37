from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("runs/", views.runs, name="runs"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/thresholds/", views.thresholds_set, name="thresholds_set"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/", views.review_pair, name="review_pair"),
]
