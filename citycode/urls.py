from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.codes.api import public_urls

from .errors import ErrorCode, json_error_view
from .healthz import healthz

api_v1 = [
    path("", include("apps.identity.api.urls")),
    path("", include("apps.consent.api.urls")),
    path("", include("apps.codes.api.public_urls")),
    path("", include("apps.codes.api.urls")),
    path("", include("apps.health.api.urls")),
    path("", include("apps.health.api.review_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include(public_urls.well_known_urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    path("", include("apps.codes.urls")),
    path("", include("apps.consent.urls")),
    path("", include("apps.identity.urls")),
    path("", include("apps.health.urls")),
    path("", include("apps.health.review_urls")),
]

handler400 = "citycode.urls.bad_request"
handler403 = "citycode.urls.permission_denied"
handler404 = "citycode.urls.not_found"
handler500 = "citycode.urls.server_error"


def bad_request(request, exception=None):
    # Django's own 400s, raised before any view runs (e.g. DisallowedHost, a malformed multipart stream)
    if request.path.startswith("/api/"):
        return json_error_view(ErrorCode.BAD_REQUEST, "Bad request.")(request)
    from django.views.defaults import bad_request as default_bad_request

    return default_bad_request(request, exception)


def permission_denied(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error_view(ErrorCode.PERMISSION_DENIED, "Permission denied.")(request)
    from django.views.defaults import permission_denied as default_permission_denied

    return default_permission_denied(request, exception)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error_view(ErrorCode.NOT_FOUND, "Not found.")(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_error_view(ErrorCode.SERVER_ERROR, "Internal server error.")(request)
    from django.views.defaults import server_error as default_server_error

    return default_server_error(request)
