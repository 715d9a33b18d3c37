from django.urls import path

from . import restriction_views

app_name = "people"

urlpatterns = [
    path("break-glass/<str:kind>/<int:pk>/", restriction_views.break_glass, name="break_glass"),
    path("restricted/", restriction_views.restrictions, name="restrictions"),
    path("restricted/<str:kind>/<int:pk>/", restriction_views.restriction, name="restriction"),
]
