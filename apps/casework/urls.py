from django.urls import path

from . import notification_views, views

app_name = "casework"

urlpatterns = [
    path("cases/<int:pk>/", views.case, name="case"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification_read"),
    path("markers/", notification_views.markers, name="markers"),
    path("markers/export/", notification_views.markers_export, name="markers_export"),
    path("markers/<int:pk>/acknowledge/", notification_views.marker_acknowledge, name="marker_acknowledge"),
]
