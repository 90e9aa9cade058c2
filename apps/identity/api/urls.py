from django.urls import path

from . import views

urlpatterns = [
    path("citizens", views.CitizenRegisterApi.as_view(), name="api-citizen-register"),
    path("auth/token", views.TokenObtainApi.as_view(), name="api-auth-token"),
    path("me", views.MeApi.as_view(), name="api-me"),
    path("clients/me", views.ApiClientMeApi.as_view(), name="api-client-me"),
]
