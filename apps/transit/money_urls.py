from django.urls import path

from . import money_views

urlpatterns = [
    path("transit/money/", money_views.my_money, name="transit-money"),
    path("transit/money/top-up", money_views.top_up, name="transit-top-up"),
    path("transit/money/pay-debt", money_views.pay_debt, name="transit-pay-debt"),
    path("transit/operator/", money_views.operator_home, name="transit-operator"),
    path("transit/operator/<slug:slug>/money", money_views.operator_money, name="transit-operator-money"),
    path("transit/operator/<slug:slug>/settle", money_views.operator_settle, name="transit-operator-settle"),
]
