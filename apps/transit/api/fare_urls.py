from django.urls import path

from . import fare_views

urlpatterns = [
    path("transit/taps", fare_views.TapUploadApi.as_view(), name="api-transit-taps"),
    path("transit/settlements", fare_views.SettlementStartApi.as_view(), name="api-transit-settlements"),
    path("transit/settlements/<int:run_id>", fare_views.SettlementDetailApi.as_view(),
         name="api-transit-settlement"),
    path("transit/me/trips", fare_views.MyTripsApi.as_view(), name="api-transit-my-trips"),
    path("transit/me/balance", fare_views.MyBalanceApi.as_view(), name="api-transit-my-balance"),
    path("transit/me/top-ups", fare_views.MyTopUpApi.as_view(), name="api-transit-my-top-ups"),
    path("transit/me/debt-payments", fare_views.MyDebtPaymentApi.as_view(), name="api-transit-my-debt-payments"),
]
