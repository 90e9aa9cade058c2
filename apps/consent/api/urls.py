from django.urls import path

from . import views

urlpatterns = [
    path("purposes", views.PurposeListApi.as_view(), name="api-purposes"),
    path("me/consents", views.MyConsentsApi.as_view(), name="api-my-consents"),
    path("me/consents/<int:consent_id>/withdraw", views.MyConsentWithdrawApi.as_view(), name="api-consent-withdraw"),
    path("me/consents/<int:consent_id>/receipt", views.MyConsentReceiptApi.as_view(), name="api-consent-receipt"),
    path("me/access-log", views.MyAccessLogApi.as_view(), name="api-my-access-log"),
    path("me/export", views.MyExportApi.as_view(), name="api-my-export"),
    path("consent/receipt-keys", views.ReceiptKeysApi.as_view(), name="api-consent-receipt-keys"),
    path("consent/categories", views.AdminCategoryUpsertApi.as_view(), name="api-consent-categories"),
    path("consent/purposes", views.AdminPurposeUpsertApi.as_view(), name="api-consent-purposes"),
    path("consent/grants", views.AdminGrantsApi.as_view(), name="api-consent-grants"),
    path("consent/grants/<int:grant_id>/revoke", views.AdminGrantRevokeApi.as_view(), name="api-consent-grant-revoke"),
    path("consent/proposals", views.AdminProposalsApi.as_view(), name="api-consent-proposals"),
    path("consent/proposals/<int:proposal_id>/approve", views.AdminProposalApproveApi.as_view(),
         name="api-consent-proposal-approve"),
    path("consent/proposals/<int:proposal_id>/reject", views.AdminProposalRejectApi.as_view(),
         name="api-consent-proposal-reject"),
    path("consent/emergencies", views.AdminEmergenciesApi.as_view(), name="api-consent-emergencies"),
    path("consent/emergencies/<int:emergency_id>/end", views.AdminEmergencyEndApi.as_view(),
         name="api-consent-emergency-end"),
    path("consent/representations", views.AdminRepresentationCreateApi.as_view(),
         name="api-consent-representations"),
]
