from django.urls import path

from . import billing_views as views

urlpatterns = [
    path("medical/bills/", views.bills, name="medical-bills"),
    path("medical/bills/<int:bill_id>/", views.bill, name="medical-bill"),
    path("medical/bills/<int:bill_id>/pay", views.bill_pay, name="medical-bill-pay"),
    path("medical/appointments/<int:appointment_id>/fee", views.appointment_fee, name="medical-appointment-fee"),
    path("medical/pay/<str:out_trade_no>/", views.sim_pay, name="medical-sim-pay"),
    path("medical/cashier/", views.cashier_index, name="medical-cashier-index"),
    path("medical/cashier/<slug:slug>/", views.cashier, name="medical-cashier"),
    path("medical/cashier/<slug:slug>/bills/<int:bill_id>/refund", views.cashier_refund_request,
         name="medical-cashier-refund-request"),
    path("medical/cashier/<slug:slug>/refunds/<int:refund_id>/<slug:decision>", views.cashier_refund_decide,
         name="medical-cashier-refund-decide"),
    path("medical/cashier/<slug:slug>/reconciliation.csv", views.cashier_reconciliation,
         name="medical-cashier-reconciliation"),
]
