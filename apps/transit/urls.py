from django.urls import path

from . import views

urlpatterns = [
    path("transit/ride-code/", views.ride_code, name="transit-ride-code"),
    path("transit/sw.js", views.service_worker, name="transit-sw"),
    path("transit/ride-account/open", views.ride_account_open, name="transit-ride-account-open"),
    path("transit/reader/", views.reader_page, name="transit-reader"),
    path("transit/operators/<slug:slug>/readers/", views.operator_readers, name="transit-operator-readers"),
]
