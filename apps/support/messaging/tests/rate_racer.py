"""A process that takes sends from a tenant's rate limit, for the cross-process test:
python -m apps.support.messaging.tests.rate_racer TENANT COUNT CALLS LIMIT GATE_FILE
prints the time of each granted call as JSON."""

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
    from apps.support.messaging.services.rate_limit import acquire

    while not Path(gate).exists():
        time.sleep(0.005)
    granted = []
    for _ in range(calls):
        acquire(tenant, count, limit=limit)
        granted.append(time.time())
    print(json.dumps(granted))


if __name__ == "__main__":
    main()
