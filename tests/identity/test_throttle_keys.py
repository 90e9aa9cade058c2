"""Rate-limit cache keys stay valid on every cache backend, whatever the caller sends (regression)."""

import json
import warnings

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import memcache_key_warnings
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apps.identity import login_limits
from apps.identity.throttles import RegisterThrottle

HOSTILE = ["名字 with spaces", "tab\tand\nnewline\x00nul", "x" * 5000, "\U0001f600" * 300, "\udcff lone surrogate"]


def _api_login_request(username: str, **extra) -> Request:
    """The sign-in request as the API view sees it: a JSON body parsed by DRF (JSON may escape any code point)."""
    body = json.dumps({"username": username, "password": "x"})  # ensure_ascii: "\udcff" travels as an escape
    return Request(APIRequestFactory().post("/api/v1/auth/token", body, content_type="application/json", **extra),
                   parsers=[JSONParser()])


def _key_problems(key: str) -> list[str]:
    return list(memcache_key_warnings(cache.make_key(key)))


@pytest.mark.parametrize("login", HOSTILE)
def test_login_limit_keys_are_memcached_safe_for_any_account_name(login):
    # Given a sign-in attempt whose account name has spaces, control characters, 5,000 characters or emoji
    request = _api_login_request(login)
    account = login_limits.account_key(user=None, login=login)

    # When the sign-in limits derive their cache keys
    keys = login_limits._keys(account, login_limits.client_address(request))

    # Then each key is one memcached accepts
    assert all(_key_problems(key) == [] for key in keys.values())


@pytest.mark.parametrize("forwarded", HOSTILE[:3])
def test_register_throttle_key_is_memcached_safe_for_any_forwarded_header(forwarded):
    # Given a registration whose X-Forwarded-For header is arbitrary text
    request = APIRequestFactory().post("/api/v1/citizens", {}, HTTP_X_FORWARDED_FOR=forwarded)

    # When the registration rate limit derives its cache key
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        key = RegisterThrottle().get_cache_key(request, view=None)

    # Then the key is one memcached accepts
    assert _key_problems(key) == []
