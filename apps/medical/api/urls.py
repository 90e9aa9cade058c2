from django.urls import path

from . import views

urlpatterns = [
    path("medical/hospitals", views.HospitalListApi.as_view(), name="api-medical-hospitals"),
    path("medical/sessions", views.SessionListApi.as_view(), name="api-medical-sessions"),
    path("medical/appointments", views.AppointmentBookApi.as_view(), name="api-medical-book"),
    path("me/medical/appointments", views.MyAppointmentListApi.as_view(), name="api-my-medical-appointments"),
    path("me/medical/appointments/<int:appointment_id>/cancel", views.MyAppointmentCancelApi.as_view(),
         name="api-my-medical-appointment-cancel"),
    path("me/medical/appointments/<int:appointment_id>/fhir", views.MyAppointmentFhirApi.as_view(),
         name="api-my-medical-appointment-fhir"),
    path("medical/hospitals/<slug:slug>/sessions", views.HospitalSessionCreateApi.as_view(),
         name="api-medical-hospital-sessions"),
    path("medical/hospitals/<slug:slug>/sessions/<int:session_id>/appointments",
         views.HospitalAppointmentListApi.as_view(), name="api-medical-hospital-appointments"),
    path("medical/hospitals/<slug:slug>/sessions/<int:session_id>/queue", views.HospitalQueueApi.as_view(),
         name="api-medical-hospital-queue"),
    path("medical/hospitals/<slug:slug>/check-in", views.HospitalCheckInApi.as_view(),
         name="api-medical-hospital-check-in"),
    path("medical/hospitals/<slug:slug>/appointments/<int:appointment_id>/fulfil",
         views.HospitalAppointmentFulfilApi.as_view(), name="api-medical-hospital-fulfil"),
]

# The money side (bills, payments, refunds, reconciliation): its own module, merged here.
from .billing_urls import urlpatterns as billing_urlpatterns  # noqa: E402

urlpatterns += billing_urlpatterns
