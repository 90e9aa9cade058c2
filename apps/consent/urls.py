from django.urls import path

from . import views

urlpatterns = [
    path("consents/", views.my_consents, name="consent-mine"),
    path("consents/give", views.consent_give, name="consent-give"),
    path("consents/<int:consent_id>/withdraw", views.consent_withdraw, name="consent-withdraw"),
    path("consents/<int:consent_id>/receipt", views.consent_receipt, name="consent-receipt"),
    path("consents/access-log/", views.access_log, name="consent-access-log"),
]
