"""One pipeline of the platform for an end-to-end test, on tools/testing/local_platform.py:
a fresh queue for `role` (and its DLQ), an S3 bucket on moto's server unless MEDIA_STORAGE
says otherwise, a migrated SQLite file, DEBUG on and a 2-second shutdown grace.

    stack = pipeline(tmp_path, sqs_server, role="video", VIDEO_X264_PRESET="ultrafast")
    stack.start_api(); api = stack.client(stack.api_key("daechi"))
    stack.start_worker(VIDEO_WORKER, "--once").wait(90)

Keyword arguments become the processes' environment, over the defaults here.
"""

from pathlib import Path

from tools.testing.local_platform import LocalPlatform
from tools.testing.sqs_server import SQSServer


def pipeline(root: Path, sqs: SQSServer, *, role: str, visibility_timeout: int = 30, max_receive_count: int = 5,
             **env) -> LocalPlatform:
    env = {"WORKER_SHUTDOWN_GRACE_SECONDS": "2", **{key: str(value) for key, value in env.items()}}
    platform = LocalPlatform(root, sqs=sqs, debug=True, env=env)
    if env.get("MEDIA_STORAGE", "s3") == "s3":
        platform.create_bucket()
    platform.create_queue(role, visibility_timeout=visibility_timeout, max_receive_count=max_receive_count)
    platform.migrate()
    return platform
