from django.urls import path

from . import public_views

urlpatterns = [
    path("trust-list", public_views.TrustListApi.as_view(), name="api-trust-list"),
    path("status-lists/<str:list_id>", public_views.StatusListApi.as_view(), name="api-status-list"),
]

# Mounted at the site root by citycode/urls.py (not under /api/v1/).
well_known_urlpatterns = [
    path(".well-known/jwks.json", public_views.JwksApi.as_view(), name="jwks"),
]
