import socket

import pytest

from citycode.cache import RedisCache
from tests.conftest import services_required


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.fixture
def redis_cache():
    if not redis_reachable():
        if services_required():
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    cache = RedisCache("redis://127.0.0.1:6379/5", {"KEY_PREFIX": "citycode-test-cache"})
    yield cache
    cache.clear()


def test_the_redis_cache_reuses_one_client_per_pool_and_still_round_trips(redis_cache):
    # Given the project's Redis cache backend
    # When it stores and reads a value, twice
    redis_cache.set("trust", {"kid": "abc"}, 30)
    first = redis_cache._cache.get_client("trust")
    assert redis_cache.get("trust") == {"kid": "abc"}
    # Then the same client object served both calls, and the value came back intact
    assert redis_cache._cache.get_client("trust") is first
    assert redis_cache.get_many(["trust", "missing"]) == {"trust": {"kid": "abc"}}
