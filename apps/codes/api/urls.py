from django.urls import path

from . import views

urlpatterns = [
    path("me/codes", views.MyCodesApi.as_view(), name="api-my-codes"),
    path("me/codes/<slug:code_type>", views.MyCodeApi.as_view(), name="api-my-code"),
    path("me/codes/<slug:code_type>/qr", views.MyCodeQrApi.as_view(), name="api-my-code-qr"),
    path("me/codes/<slug:code_type>/qr.svg", views.MyCodeQrSvgApi.as_view(), name="api-my-code-qr-svg"),
    path("me/codes/<slug:code_type>/qr.png", views.MyCodeQrPngApi.as_view(), name="api-my-code-qr-png"),
    path("scan", views.ScanApi.as_view(), name="api-scan"),
]
