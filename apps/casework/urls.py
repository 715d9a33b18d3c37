from django.urls import path

from . import views

app_name = "casework"

urlpatterns = [
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/progress/", views.case_progress, name="case_progress"),
    path("cases/<int:pk>/pack/", views.case_pack, name="case_pack"),
    path("cases/<int:pk>/pack.pdf", views.case_pack_pdf, name="case_pack_pdf"),
]
