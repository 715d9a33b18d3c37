from django.urls import path

from . import framework_views, views

app_name = "casework"

urlpatterns = [
    path("cases/<int:pk>/", views.case, name="case"),
    path("frameworks/", framework_views.frameworks, name="frameworks"),
    path("frameworks/<slug:code>/", framework_views.framework, name="framework"),
    path("frameworks/<slug:code>/activate/", framework_views.framework_activate, name="framework_activate"),
]
