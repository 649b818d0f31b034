"""The per-tenant send rate limit: in process, and across processes through Redis."""

import collections
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest

from apps.support.messaging.adapters import rate_limit
from tools.testing.redis_server import redis_server


def _per_second(times):
    return collections.Counter(int(t) for t in times)


def test_a_limit_of_zero_is_no_limit(settings):
    settings.MESSAGING_RATE_LIMIT_PER_SECOND = 0
    assert rate_limit.acquire(uuid.uuid4(), 10_000) == 0.0


def test_asking_for_more_than_the_limit_at_once_is_a_bug():
    with pytest.raises(ValueError):
        rate_limit.acquire(uuid.uuid4(), 11, limit=10)


def test_threads_of_one_process_share_the_limit_and_tenants_do_not():
    tenant, other = uuid.uuid4(), uuid.uuid4()
    granted, lock = [], threading.Lock()

    def take(who):
        for _ in range(3):
            rate_limit.acquire(who, 5, limit=10)
            with lock:
                granted.append((who, time.time()))

    threads = [threading.Thread(target=take, args=(t,)) for t in (tenant, tenant, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    ours = [t for who, t in granted if who == tenant]
    assert len(ours) == 6 and max(_per_second(ours).values()) * 5 <= 10
    assert len([t for who, t in granted if who == other]) == 3


def test_a_waiting_worker_that_stops_gives_up_at_once():
    tenant, stop = uuid.uuid4(), threading.Event()
    rate_limit.acquire(tenant, 10, limit=10)
    stop.set()
    with pytest.raises(rate_limit.RateLimitInterrupted):
        rate_limit.acquire(tenant, 1, limit=10, cancelled=stop)


def test_the_limit_holds_across_processes_through_redis(tmp_path):
    tenant = str(uuid.uuid4())
    gate = tmp_path / "go"
    with redis_server(tmp_path) as url:
        env = {**os.environ, "REDIS_URL": url, "PYTHONPATH": ":".join(sys.path)}
        racers = [subprocess.Popen([sys.executable, "-m", "apps.support.messaging.tests.rate_racer", tenant, "4", "5",
                                    "10", str(gate)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True) for _ in range(3)]
        time.sleep(0.5)
        gate.touch()
        times = []
        for racer in racers:
            out, err = racer.communicate(timeout=60)
            assert racer.returncode == 0, err
            times += json.loads(out)
    per_second = _per_second(times)
    assert len(times) == 15
    # 3 processes x 5 calls x 4 sends = 60 sends at 10 a second: each second grants at most
    # two calls (8 sends), so it takes at least 7 windows.
    assert max(per_second.values()) * 4 <= 10, per_second
    assert len(per_second) >= 7
