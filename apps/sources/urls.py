from django.urls import path

from . import dataset_views, views
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
    path("datasets/", dataset_views.datasets, name="datasets"),
    path("datasets/new/", dataset_views.dataset_new, name="dataset_new"),
    path("datasets/upload/", dataset_views.dataset_upload, name="dataset_upload"),
    path("datasets/<slug:code>/", dataset_views.dataset, name="dataset"),
    path("datasets/<slug:code>/edit/", dataset_views.dataset_edit, name="dataset_edit"),
    path("datasets/<slug:code>/descriptor.json", dataset_views.dataset_descriptor, name="dataset_descriptor"),
]
