from django.urls import path

from . import views

urlpatterns = [
    path("catalogue/", views.public_catalogue, name="public-catalogue"),
    path("transparency/", views.transparency_report, name="transparency"),
    path("transparency/<str:month>/", views.transparency_report, name="transparency-month"),
    path("consents/", views.my_consents, name="consent-mine"),
    path("consents/give", views.consent_give, name="consent-give"),
    path("consents/<int:consent_id>/withdraw", views.consent_withdraw, name="consent-withdraw"),
    path("consents/<int:consent_id>/receipt", views.consent_receipt, name="consent-receipt"),
    path("consents/access-log/", views.access_log, name="consent-access-log"),
    path("consents/export/", views.export_page, name="consent-export"),
    path("consents/export.json", views.export_download, name="consent-export-download"),
    path("consents/representation/", views.representation_page, name="consent-representation"),
    path("consents/acting-for/<int:citizen_id>/give", views.acting_for_consent_give, name="consent-acting-for-give"),
    path("consents/acting-for/consents/<int:consent_id>/withdraw", views.acting_for_consent_withdraw,
         name="consent-acting-for-withdraw"),
    path("consents/representation/<int:representation_id>/end", views.representation_end,
         name="consent-representation-end"),
]
