"""One URL, one view class per operation: `GET /me/consents` lists and `POST /me/consents` gives, each its own
APIView with its own serializers and `@extend_schema`, yet the URL stays one resource."""

from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView


def operations(route: str, *, name: str, **views: type[APIView]) -> list[URLPattern]:
    """URL patterns serving `route` with one view per HTTP method: `operations("me/consents",
    name="api-my-consents", get=MyConsentListApi, post=MyConsentGiveApi)`.

    The first pattern routes each request by its method (any other method reaches the first view, which answers
    405 in the usual error shape; the Allow header names every method of the URL). The others are never reached
    by a request, since the first matches: they let drf-spectacular read each operation from its own class.
    """
    callbacks = {method.upper(): view.as_view() for method, view in views.items()}
    if "GET" in callbacks:
        callbacks.setdefault("HEAD", callbacks["GET"])
    fallback = next(iter(callbacks.values()))
    allow = ", ".join([*(m.upper() for m in views), "OPTIONS"])

    @csrf_exempt  # like every APIView: DRF enforces CSRF itself for session-authenticated requests
    def by_method(request, *args, **kwargs):
        response = callbacks.get(request.method, fallback)(request, *args, **kwargs)
        if response.status_code == 405:
            response["Allow"] = allow
        return response

    return [path(route, by_method, name=name), *(path(route, view.as_view()) for view in views.values())]
