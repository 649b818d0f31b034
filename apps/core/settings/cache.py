"""REDIS_URL -> Django's CACHES: one cache shared by every API and worker replica.

Redis gives the cache (and what is built on it: per-tenant rate limits, short-lived
lookups) one shared state across processes and machines. Without REDIS_URL each process
keeps its own in-memory cache, which is right for one process and for tests, and wrong
for limits that must hold across replicas.
"""

from urllib.parse import urlsplit


class CacheUrlError(ValueError):
    pass


def caches_from_url(url: str | None, key_prefix: str = "academy") -> dict:
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": key_prefix}}
    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise CacheUrlError(f"REDIS_URL scheme {scheme!r} is not supported; use redis://, rediss:// or unix://")
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": key_prefix,
            # A cache outage must not take requests down with it: fail fast, then fall through.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
