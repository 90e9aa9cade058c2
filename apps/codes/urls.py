from django.urls import path

from . import views

urlpatterns = [
    path("verify/", views.verify, name="codes-verify"),
    path("codes/designer/", views.designer, name="codes-designer"),
    path("codes/designer/preview", views.designer_preview, name="codes-designer-preview"),
]
