from django.urls import include, path

from . import views

urlpatterns = [
    path("transit/ride-code/", views.ride_code, name="transit-ride-code"),
    path("transit/sw.js", views.service_worker, name="transit-sw"),
    path("transit/ride-account/open", views.ride_account_open, name="transit-ride-account-open"),
    path("transit/reader/", views.reader_page, name="transit-reader"),
    path("transit/operators/<slug:slug>/readers/", views.operator_readers, name="transit-operator-readers"),
    # Money pages: balance, top-up, trips; the operator's uploads and settlements (apps/transit/money_urls.py)
    path("", include("apps.transit.money_urls")),
]
