from django.urls import path

from . import views

urlpatterns = [
    path("me/licences", views.MyLicencesApi.as_view(), name="api-my-licences"),
    path("me/licences/requests/<str:nonce>", views.MyLicenceRequestApi.as_view(), name="api-my-licence-request"),
    path("me/licences/present", views.MyLicencePresentApi.as_view(), name="api-my-licence-present"),
    path("licences/types", views.LicenceTypesApi.as_view(), name="api-licence-types"),
    path("licences/types/define", views.LicenceTypeDefineApi.as_view(), name="api-licence-type-define"),
    path("licences/issue", views.LicenceIssueApi.as_view(), name="api-licence-issue"),
    path("licences/requests", views.LicenceRequestCreateApi.as_view(), name="api-licence-requests"),
    path("licences/requests/<int:request_id>/verify", views.LicenceVerifyApi.as_view(), name="api-licence-verify"),
    path("licences/<int:licence_id>/suspend", views.LicenceSuspendApi.as_view(), name="api-licence-suspend"),
    path("licences/<int:licence_id>/reinstate", views.LicenceReinstateApi.as_view(), name="api-licence-reinstate"),
    path("licences/<int:licence_id>/revoke", views.LicenceRevokeApi.as_view(), name="api-licence-revoke"),
    path("licences/<int:licence_id>/renew", views.LicenceRenewApi.as_view(), name="api-licence-renew"),
]
