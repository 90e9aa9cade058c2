from rest_framework.throttling import SimpleRateThrottle


class LoginThrottle(SimpleRateThrottle):
    """Limits sign-in attempts per client address and per account name, for the API and the page alike."""

    scope = "login"

    def get_cache_key(self, request, view):
        login = ""
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        if hasattr(data, "get"):
            login = str(data.get("username") or "").strip().lower()
        return self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{login}"}


class RegisterThrottle(SimpleRateThrottle):
    scope = "register"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
