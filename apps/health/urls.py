from django.urls import path

from . import review_urls, views

urlpatterns = [
    path("health/commission/case-lists/", views.case_lists, name="health-case-lists"),
    path("health/commission/case-lists/<int:pk>/", views.case_list, name="health-case-list"),
    path("health/commission/rules/", views.rule_sets, name="health-rule-sets"),
    path("health/commission/rules/<int:pk>/", views.rule_set, name="health-rule-set"),
    path("health/commission/rules/<int:pk>/dry-run", views.rule_set_dry_run, name="health-rule-set-dry-run"),
    path("health/commission/rules/<int:pk>/publish", views.rule_set_publish, name="health-rule-set-publish"),
    *review_urls.urlpatterns,  # the citizen's health code page and the commission's review queue
]
