from django.urls import path

from . import billing_views as views

urlpatterns = [
    path("me/medical/bills", views.MyBillListApi.as_view(), name="api-my-medical-bills"),
    path("me/medical/bills/<int:bill_id>", views.MyBillApi.as_view(), name="api-my-medical-bill"),
    path("me/medical/bills/<int:bill_id>/pay", views.MyBillPayApi.as_view(), name="api-my-medical-bill-pay"),
    path("me/medical/bills/<int:bill_id>/fhir", views.MyBillInvoiceFhirApi.as_view(),
         name="api-my-medical-bill-fhir"),
    path("me/medical/bills/<int:bill_id>/items/<int:position>/fhir", views.MyChargeItemFhirApi.as_view(),
         name="api-my-medical-charge-item-fhir"),
    path("me/medical/coverage", views.MyCoverageApi.as_view(), name="api-my-medical-coverage"),
    path("me/medical/appointments/<int:appointment_id>/fee", views.MyAppointmentFeeApi.as_view(),
         name="api-my-medical-appointment-fee"),
    path("me/medical/payments/<str:out_trade_no>/simulate-pay", views.MySimulatedPaymentConfirmApi.as_view(),
         name="api-my-medical-simulated-pay"),
    path("medical/payments/notify/<slug:provider>", views.ProviderNotifyApi.as_view(),
         name="api-medical-provider-notify"),
    path("medical/hospitals/<slug:slug>/orders", views.HospitalOrderApi.as_view(), name="api-medical-orders"),
    path("medical/hospitals/<slug:slug>/bills", views.HospitalBillListApi.as_view(), name="api-medical-bills"),
    path("medical/hospitals/<slug:slug>/bills/<int:bill_id>/refunds", views.HospitalRefundRequestApi.as_view(),
         name="api-medical-refund-request"),
    path("medical/hospitals/<slug:slug>/refunds", views.HospitalRefundListApi.as_view(), name="api-medical-refunds"),
    path("medical/hospitals/<slug:slug>/refunds/<int:refund_id>/approve", views.HospitalRefundApproveApi.as_view(),
         name="api-medical-refund-approve"),
    path("medical/hospitals/<slug:slug>/refunds/<int:refund_id>/reject", views.HospitalRefundRejectApi.as_view(),
         name="api-medical-refund-reject"),
    path("medical/hospitals/<slug:slug>/reconciliation.csv", views.HospitalReconciliationApi.as_view(),
         name="api-medical-reconciliation"),
]
