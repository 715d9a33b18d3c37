from django.urls import path

from . import restriction_views, views

app_name = "people"

urlpatterns = [
    path("", views.search, name="search"),
    path("person/<int:pk>/", views.person, name="person"),
    path("person/<int:pk>/school/", views.person_school, name="person_school"),
    path("person/<int:pk>/addresses/", views.person_addresses, name="person_addresses"),
    path("family/<int:pk>/", views.family, name="family"),
    path("family/<int:pk>/addresses/", views.family_addresses, name="family_addresses"),
    path("break-glass/<str:kind>/<int:pk>/", restriction_views.break_glass, name="break_glass"),
    path("restricted/", restriction_views.restrictions, name="restrictions"),
    path("restricted/<str:kind>/<int:pk>/", restriction_views.restriction, name="restriction"),
]
