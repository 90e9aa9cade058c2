from django.urls import path

from . import views

urlpatterns = [
    path("citizens", views.CitizenRegisterApi.as_view(), name="api-citizen-register"),
    path("auth/token", views.TokenObtainApi.as_view(), name="api-auth-token"),
    path("auth/refresh", views.TokenRefreshApi.as_view(), name="api-auth-refresh"),
    path("auth/logout", views.LogoutApi.as_view(), name="api-auth-logout"),
    path("me", views.MeApi.as_view(), name="api-me"),
    path("me/sessions", views.SessionListApi.as_view(), name="api-me-sessions"),
    path("me/sessions/<int:session_id>", views.SessionRevokeApi.as_view(), name="api-me-session"),
    path("clients/me", views.ApiClientMeApi.as_view(), name="api-client-me"),
]
