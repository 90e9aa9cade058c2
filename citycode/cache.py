"""Django's Redis cache, reusing one client per connection pool.

Django builds a new ``redis.Redis`` object on every cache call; on the scan path (two cache reads a request)
that construction cost as much as the round trip. A cache backend instance is per thread in Django, and a
``redis.Redis`` over a pool is thread-safe anyway, so one client per pool is safe.
"""

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis import ConnectionPool, Redis


class PooledRedisCacheClient(RedisCacheClient):
    # Django's private members this class builds on (django-stubs leaves them out).
    _client: type[Redis]
    _get_connection_pool: Callable[[bool], ConnectionPool]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
