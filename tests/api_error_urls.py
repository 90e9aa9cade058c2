"""URLconf for tests/test_api_input_errors.py: the real one, plus two views under /api/ that fail on purpose."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from citycode import urls as real


class _BoomApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret detail that must not leak: /work/main/apps/boom.py line 42")


def _boom_plain(request):
    raise RuntimeError("secret detail that must not leak: /work/main/apps/boom.py line 42")


urlpatterns = [
    path("api/v1/test-boom-drf", _BoomApi.as_view()),
    path("api/v1/test-boom-plain", _boom_plain),
    *real.urlpatterns,
]

handler400 = getattr(real, "handler400", None) or "django.views.defaults.bad_request"
handler403 = getattr(real, "handler403", None) or "django.views.defaults.permission_denied"
handler404 = real.handler404
handler500 = real.handler500
