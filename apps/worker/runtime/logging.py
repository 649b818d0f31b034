"""JSON log lines, one object per line on stderr, with the job each line is about.

    {"ts": "2026-01-05T09:12:03.512Z", "level": "info", "worker": "video", "logger": "academy.worker",
     "msg": "job done", "job_id": "...", "trace_id": "...", "tenant_id": "...", "message_id": "..."}

A job thread wraps its work in `job_fields(job_id=..., trace_id=..., tenant_id=...)`; every
line logged inside carries those fields (a context variable, so threads never mix them
up). Fields for one line go in `extra={"fields": {...}}`, or through `event()`.
"""

import contextlib
import contextvars
import json
import logging
import sys
import time

log = logging.getLogger("academy.worker")

_job_fields: contextvars.ContextVar[dict] = contextvars.ContextVar("academy_job_fields", default={})


class JsonFormatter(logging.Formatter):
    def __init__(self, worker: str):
        super().__init__()
        self.worker = worker

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "worker": self.worker,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_job_fields.get())
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(worker: str, *, level: int = logging.INFO, stream=None) -> None:
    """Routes every logger (Django's and boto's included) through one JSON handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(worker))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextlib.contextmanager
def job_fields(**fields):
    token = _job_fields.set({**_job_fields.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _job_fields.reset(token)


def event(level: int, msg: str, **fields) -> None:
    log.log(level, msg, extra={"fields": fields})
