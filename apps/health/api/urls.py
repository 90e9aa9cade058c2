from django.urls import path

from . import review_urls, views

urlpatterns = [
    path("health/case-lists", views.CaseListUploadApi.as_view(), name="api-health-case-list-upload"),
    path("health/case-lists/<int:pk>", views.CaseListProgressApi.as_view(), name="api-health-case-list"),
    path("health/rule-sets", views.RuleSetSaveApi.as_view(), name="api-health-rule-set-save"),
    path("health/rule-sets/<int:pk>", views.RuleSetGetApi.as_view(), name="api-health-rule-set"),
    path("health/rule-sets/<int:pk>/dry-run", views.RuleSetDryRunApi.as_view(), name="api-health-rule-set-dry-run"),
    path("health/rule-sets/<int:pk>/publish", views.RuleSetPublishApi.as_view(), name="api-health-rule-set-publish"),
    path("me/health/declarations", views.DeclarationSubmitApi.as_view(), name="api-health-declaration"),
    *review_urls.urlpatterns,  # manual changes, appeals, alerts, the verifier package
]
