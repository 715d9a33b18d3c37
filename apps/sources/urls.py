from django.urls import path

from . import views
from .quarantine import views as quarantine_views

app_name = "sources"

urlpatterns = [
    path("", views.batches, name="batches"),
    path("upload/", views.upload, name="upload"),
    path("quality/", views.quality, name="quality"),
    path("quality/quarantine/<int:pk>/", quarantine_views.quarantined_row, name="quarantined_row"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("batches/<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/make-current/", views.batch_make_current, name="batch_make_current"),
]
