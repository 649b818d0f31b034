"""The one place that says how an AI job's status may change.

    created -> queued -> processing -> succeeded
                                    -> failed

Nothing else: a succeeded or failed job stays that way, and nothing goes back.
services._transition() is the only writer of AIJob.status and checks every change here first.
"""

CREATED = "created"
QUEUED = "queued"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"

TRANSITIONS: dict[str, frozenset[str]] = {
    CREATED: frozenset({QUEUED}),
    QUEUED: frozenset({PROCESSING}),
    PROCESSING: frozenset({SUCCEEDED, FAILED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset(),
}

FINAL = frozenset({SUCCEEDED, FAILED})


class InvalidTransition(Exception):
    def __init__(self, current: str, new: str):
        super().__init__(f"an AI job cannot go from {current!r} to {new!r}")
        self.current = current
        self.new = new


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(current, new)
