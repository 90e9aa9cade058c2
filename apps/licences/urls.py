from django.urls import path

from . import views

urlpatterns = [
    path("licences/", views.my_licences, name="licences-mine"),
    path("licences/show/", views.show_only, name="licences-show"),
    path("licences/office/", views.office, name="licences-office"),
    path("licences/office/issue/<str:type_code>/", views.office_issue, name="licences-office-issue"),
    path("licences/office/<int:licence_id>/<slug:action>/", views.office_act, name="licences-office-act"),
]
