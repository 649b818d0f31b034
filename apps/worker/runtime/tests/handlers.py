"""The job handler the runtime tests run: the message's source_key is its script.

    "effect"                 write one effect row and return
    "sleep=6;effect"         sleep 6 s first (holding no database lock), then write
    "effect;hang"            write the effect, then sleep for 10 minutes (inside the
                             job's transaction, so a killed worker's effect rolls back)
    "effect;hang_first"      hang only on the job's first claim; a takeover finishes
    "fail"                   raise RuntimeError every time (retry, then DLQ)
    "permanent"              raise PermanentJobError

An effect row (the test creates the table) is written in the job's transaction, so it
commits only together with the job's "done". Each job touches
$TEST_MARKER_DIR/<job_id>.<attempt>.started when it begins.
"""

import os
import time
from pathlib import Path

from django.db import connection

from apps.core.queues import JobContext, PermanentJobError
from apps.shared.contracts import VideoTranscodeMessage

EFFECT_TABLE = "runtime_test_effect"


def handle(message: VideoTranscodeMessage, context: JobContext) -> None:
    script = dict(part.partition("=")[::2] for part in message.source_key.split(";"))
    marker_dir = os.environ.get("TEST_MARKER_DIR")
    if marker_dir:
        (Path(marker_dir) / f"{message.job_id}.{context.attempt}.started").touch()
    if "sleep" in script:
        time.sleep(float(script["sleep"]))
    if "fail" in script:
        raise RuntimeError("this job always fails")
    if "permanent" in script:
        raise PermanentJobError("this job can never succeed")
    if "effect" in script:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {EFFECT_TABLE} (job_id, worker_id, receive_count, attempt) VALUES (%s, %s, %s, %s)",
                [str(message.job_id), context.worker_id, context.receive_count, context.attempt],
            )
    if "hang" in script or ("hang_first" in script and context.attempt == 1):
        time.sleep(600)
