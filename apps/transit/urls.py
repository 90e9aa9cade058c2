from typing import Any

from django.urls import include, path

urlpatterns: list[Any] = [
    # Money pages: balance, top-up, trips; the operator's uploads and settlements (apps/transit/money_urls.py)
    path("", include("apps.transit.money_urls")),
]
