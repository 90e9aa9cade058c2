import hashlib

from rest_framework.throttling import SimpleRateThrottle


def _digest(ident: str) -> str:
    """The caller controls the account name and X-Forwarded-For: hash them, so the cache key stays short and valid
    on every backend (memcached refuses keys over 250 characters or with spaces or control characters)."""
    return hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RegisterThrottle(SimpleRateThrottle):
    scope = "register"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": _digest(str(self.get_ident(request)))}
