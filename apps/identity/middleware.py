from django.http import HttpResponse
from django.utils.translation import gettext as _

from .login_limits import LoginLimited


class LoginLimitMiddleware:
    """Turns a sign-in limit hit in a view that does not handle it (the admin log-in) into a 429.

    The API renders LoginLimited itself (it is DRF's Throttled) and the log-in page shows a form error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, LoginLimited):
            response = HttpResponse(_("Too many attempts. Wait a while and try again."), status=429,
                                    content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(int(exception.wait or 0))
            return response
        return None
