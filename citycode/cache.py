"""Django's Redis cache, reusing one client per connection pool.

Django builds a new ``redis.Redis`` object on every cache call; on the scan path (two cache reads a request)
that construction cost as much as the round trip. A cache backend instance is per thread in Django, and a
``redis.Redis`` over a pool is thread-safe anyway, so one client per pool is safe.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
