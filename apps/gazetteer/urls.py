from django.urls import path

from . import views

app_name = "gazetteer"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.resolution, name="resolution"),
    path("gazetteer/", views.gazetteer, name="gazetteer"),
]
