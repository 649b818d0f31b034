"""A process that takes sends from a tenant's rate limit, for the cross-process test:
python -m apps.support.messaging.tests.rate_racer TENANT COUNT CALLS LIMIT GATE_FILE
prints, for each granted call, the clock reading the limiter granted it on (its window), as
JSON: a time taken after acquire() returns could fall into the next second on a busy machine."""

import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    tenant, count, calls, limit, gate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.support.messaging.tests.settings")
    import django

    django.setup()
    from apps.support.messaging.adapters.rate_limit import acquire

    while not Path(gate).exists():
        time.sleep(0.005)
    readings = []

    def clock() -> float:
        readings.append(time.time())
        return readings[-1]

    granted = []
    for _ in range(calls):
        acquire(tenant, count, limit=limit, clock=clock)
        granted.append(readings[-1])  # acquire() returns right after the granting reading
    print(json.dumps(granted))


if __name__ == "__main__":
    main()
