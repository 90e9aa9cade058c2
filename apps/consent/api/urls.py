from django.urls import path

from citycode.routing import operations

from . import public_views, views

urlpatterns = [
    path("catalogue", public_views.CatalogueApi.as_view(), name="api-catalogue"),
    path("transparency/<str:month>", public_views.TransparencyReportApi.as_view(), name="api-transparency"),
    path("purposes", views.PurposeListApi.as_view(), name="api-purposes"),
    *operations("me/consents", name="api-my-consents", get=views.MyConsentListApi, post=views.MyConsentGiveApi),
    path("me/consents/<int:consent_id>/withdraw", views.MyConsentWithdrawApi.as_view(), name="api-consent-withdraw"),
    path("me/consents/<int:consent_id>/receipt", views.MyConsentReceiptApi.as_view(), name="api-consent-receipt"),
    path("me/acting-for", views.MyActingForApi.as_view(), name="api-my-acting-for"),
    path("me/representatives", views.MyRepresentativesApi.as_view(), name="api-my-representatives"),
    path("me/representations/<int:representation_id>/end", views.MyRepresentationEndApi.as_view(),
         name="api-my-representation-end"),
    path("me/access-log", views.MyAccessLogApi.as_view(), name="api-my-access-log"),
    path("me/export", views.MyExportApi.as_view(), name="api-my-export"),
    path("consent/receipt-keys", views.ReceiptKeysApi.as_view(), name="api-consent-receipt-keys"),
    path("consent/categories", views.AdminCategoryUpsertApi.as_view(), name="api-consent-categories"),
    path("consent/purposes", views.AdminPurposeUpsertApi.as_view(), name="api-consent-purposes"),
    *operations("consent/grants", name="api-consent-grants", get=views.AdminGrantListApi,
                post=views.AdminGrantCreateApi),
    path("consent/grants/<int:grant_id>/revoke", views.AdminGrantRevokeApi.as_view(), name="api-consent-grant-revoke"),
    path("consent/proposals", views.AdminProposalsApi.as_view(), name="api-consent-proposals"),
    path("consent/proposals/<int:proposal_id>/approve", views.AdminProposalApproveApi.as_view(),
         name="api-consent-proposal-approve"),
    path("consent/proposals/<int:proposal_id>/reject", views.AdminProposalRejectApi.as_view(),
         name="api-consent-proposal-reject"),
    *operations("consent/emergencies", name="api-consent-emergencies", get=views.AdminEmergencyListApi,
                post=views.AdminEmergencyDeclareApi),
    path("consent/emergencies/<int:emergency_id>/end", views.AdminEmergencyEndApi.as_view(),
         name="api-consent-emergency-end"),
    path("consent/representations", views.AdminRepresentationCreateApi.as_view(),
         name="api-consent-representations"),
]
