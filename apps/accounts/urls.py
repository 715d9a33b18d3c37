from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("role/", views.switch_role, name="switch_role"),
    path("my-access/", views.my_access, name="my_access"),
    path("second-factor/set-up/", views.otp_setup, name="otp_setup"),
    path("second-factor/", views.otp_verify, name="otp_verify"),
    path("custodian/", views.custodian, name="custodian"),
    path("custodian/requests/<int:pk>/", views.request_decide, name="request_decide"),
    path("custodian/grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("custodian/roles/", views.role_matrix, name="role_matrix"),
    path("custodian/roles/<slug:slug>/second-factor/", views.role_otp, name="role_otp"),
]
