from django.urls import path

from . import defined_views, views

urlpatterns = [
    path("me/codes", views.MyCodesApi.as_view(), name="api-my-codes"),
    path("me/codes/<slug:code_type>", views.MyCodeApi.as_view(), name="api-my-code"),
    path("me/codes/<slug:code_type>/qr", views.MyCodeQrApi.as_view(), name="api-my-code-qr"),
    path("me/codes/<slug:code_type>/qr.svg", views.MyCodeQrSvgApi.as_view(), name="api-my-code-qr-svg"),
    path("me/codes/<slug:code_type>/qr.png", views.MyCodeQrPngApi.as_view(), name="api-my-code-qr-png"),
    path("scan", views.ScanApi.as_view(), name="api-scan"),
    path("code-types", defined_views.DefinedTypeProposeApi.as_view(), name="api-code-types"),
    path("code-types/<slug:key>/versions/<int:version>/publish", defined_views.DefinedTypeDecideApi.as_view(),
         name="api-code-type-publish"),
    path("code-types/<slug:key>/versions/<int:version>/reject", defined_views.DefinedTypeRejectApi.as_view(),
         name="api-code-type-reject"),
    path("code-types/<slug:key>/codes", defined_views.DefinedCodeIssueApi.as_view(), name="api-code-type-codes"),
    path("code-types/<slug:key>/codes/<str:reference>/revoke", defined_views.DefinedCodeRevokeApi.as_view(),
         name="api-code-type-code-revoke"),
]
