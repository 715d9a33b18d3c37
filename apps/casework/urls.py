from django.urls import path

from . import views

app_name = "casework"

urlpatterns = [
    path("cases/<int:pk>/", views.case, name="case"),
]
