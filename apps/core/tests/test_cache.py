"""The shared cache: in-process by default, one Redis for every replica with REDIS_URL."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings

from apps.core.settings.cache import CacheUrlError, caches_from_url
from tools.testing.redis_server import redis_server


def test_default_is_in_process():
    assert caches_from_url(None)["default"]["BACKEND"].endswith("LocMemCache")


def test_bad_scheme_is_refused():
    with pytest.raises(CacheUrlError, match="scheme 'http' is not supported"):
        caches_from_url("http://cache:6379")


def test_two_processes_share_state_through_redis(tmp_path):
    with redis_server(tmp_path) as url:
        with override_settings(CACHES=caches_from_url(url)):
            cache = caches.create_connection("default")
            assert isinstance(cache, RedisCache)
            cache.set("tenant:1:greeting", "안녕하세요", timeout=30)
            # A second connection stands in for another replica.
            other = caches.create_connection("default")
            assert other.get("tenant:1:greeting") == "안녕하세요"
            assert cache.add("tenant:1:sent", 0)
            assert other.incr("tenant:1:sent") == 1
            assert cache.get("tenant:1:sent") == 1


@pytest.mark.parametrize("url, backend", [("", "LocMemCache"), ("redis://127.0.0.1:6390/0", "RedisCache")])
def test_the_shared_settings_take_the_cache_from_redis_url(url, backend):
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-c", "from apps.core.settings import base; print(base.CACHES['default']['BACKEND'])"],
        env={"PYTHONPATH": ":".join(sys.path), "REDIS_URL": url}, capture_output=True, text=True, check=True)
    assert shown.stdout.strip().endswith(backend), shown.stderr
