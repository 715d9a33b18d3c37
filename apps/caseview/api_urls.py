from django.urls import path

from . import api

app_name = "caseview_api"

urlpatterns = [
    path("people/", api.search, name="search"),
    path("people/<int:pk>/", api.person, name="person"),
    path("families/<int:pk>/", api.family, name="family"),
]
