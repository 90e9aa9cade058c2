"""API of review, appeals and the verifier package (mounted under /api/v1/)."""

from django.urls import path

from . import review_views as views

urlpatterns = [
    path("health/verifier-package", views.VerifierPackageApi.as_view(), name="api-health-verifier-package"),
    path("health/appeals", views.AppealFileApi.as_view(), name="api-health-appeal-file"),
    path("health/me/appeals", views.MyAppealsApi.as_view(), name="api-health-my-appeals"),
    path("health/review/appeals", views.AppealListApi.as_view(), name="api-health-appeal-list"),
    path("health/review/appeals/<int:pk>/answer", views.AppealAnswerApi.as_view(), name="api-health-appeal-answer"),
    path("health/review/manual-changes", views.ManualChangeListApi.as_view(), name="api-health-manual-list"),
    path("health/review/manual-changes/request", views.ManualChangeRequestApi.as_view(),
         name="api-health-manual-request"),
    path("health/review/manual-changes/<int:pk>/approve", views.ManualChangeApproveApi.as_view(),
         name="api-health-manual-approve"),
    path("health/review/manual-changes/<int:pk>/reject", views.ManualChangeRejectApi.as_view(),
         name="api-health-manual-reject"),
    path("health/review/alerts", views.AlertListApi.as_view(), name="api-health-alerts"),
]
