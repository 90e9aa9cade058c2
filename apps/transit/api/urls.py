from django.urls import include, path

from . import views

urlpatterns = [
    path("transit/reader-package", views.ReaderPackageApi.as_view(), name="api-transit-reader-package"),
    path("me/ride-certificates", views.MyRideCertificateApi.as_view(), name="api-my-ride-certificates"),
    path("me/ride-code", views.MyRideServerCodeApi.as_view(), name="api-my-ride-code"),
    # Fares, taps, settlement and money (apps/transit/api/fare_urls.py)
    path("", include("apps.transit.api.fare_urls")),
]
