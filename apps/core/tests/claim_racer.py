"""A process that races others on one job claim, for test_job_claims_postgres.py.

    python -m apps.core.tests.claim_racer claim JOB WORKER LEASE_SECONDS [GATE_DIR]
        with GATE_DIR: writes GATE_DIR/WORKER.ready once Django is up and waits for
        GATE_DIR/go, so that every racer claims at the same moment; then claims and
        prints the outcome as JSON
    python -m apps.core.tests.claim_racer work JOB WORKER HOLD_SECONDS
        in one transaction: writes a tenant row (the job's effect), finish(), then holds
        the transaction open HOLD_SECONDS before committing; prints "done" or "lost"

Settings: apps.core.settings.base with DATABASE_URL from the environment.
"""

import json
import os
import sys
import time
import uuid
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.core.settings.base")
    import django

    django.setup()
    from django.db import transaction

    from apps.core.models import Tenant
    from apps.core.services.job_claims import ClaimLost, claim, finish

    action, job, worker = argv[0], uuid.UUID(argv[1]), argv[2]
    if action == "claim":
        lease = float(argv[3])
        if len(argv) > 4:
            gate = Path(argv[4])
            (gate / f"{worker}.ready").touch()
            while not (gate / "go").exists():
                time.sleep(0.001)
        began = time.monotonic()
        result = claim(job_id=job, kind="test", tenant_id=uuid.UUID(int=1), worker_id=worker, lease_seconds=lease)
        print(json.dumps({"worker": worker, "outcome": result.outcome.value,
                          "seconds": round(time.monotonic() - began, 3)}))
        return 0
    if action == "work":
        hold = float(argv[3])
        try:
            with transaction.atomic():
                Tenant.objects.create(name=worker, slug=worker)
                finish(job_id=job, worker_id=worker)
                print("finished, holding", flush=True)
                time.sleep(hold)
        except ClaimLost:
            print(json.dumps({"worker": worker, "result": "lost"}))
            return 0
        print(json.dumps({"worker": worker, "result": "done"}))
        return 0
    raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
