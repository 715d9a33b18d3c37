from django.urls import path

from . import views

app_name = "caseview"

urlpatterns = [
    path("", views.search, name="search"),
    path("person/<int:pk>/", views.person, name="person"),
    path("person/<int:pk>/school/", views.person_school, name="person_school"),
    path("person/<int:pk>/addresses/", views.person_addresses, name="person_addresses"),
    path("family/<int:pk>/", views.family, name="family"),
    path("family/<int:pk>/addresses/", views.family_addresses, name="family_addresses"),
    path("family/<int:pk>/chronology/", views.family_chronology_page, name="family_chronology"),
]
