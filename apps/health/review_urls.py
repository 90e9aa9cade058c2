"""Pages of review: the citizen's health code and the commission's review queue."""

from django.urls import path

from . import review_views

urlpatterns = [
    path("health/", review_views.my_health_code, name="health-mine"),
    path("health/declare", review_views.declaration_post, name="health-declare"),
    path("health/appeal", review_views.appeal_post, name="health-appeal"),
    path("health/review/", review_views.review_queue, name="health-review"),
    path("health/review/manual-changes", review_views.manual_change_post, name="health-manual-request"),
    path("health/review/manual-changes/<int:pk>/decide", review_views.manual_change_decide,
         name="health-manual-decide"),
    path("health/review/appeals/<int:pk>/answer", review_views.appeal_answer_post, name="health-appeal-answer"),
]
