"""The one place that says how a lecture video's status may change.

    uploaded -> queued -> processing -> ready
                                     -> failed

Nothing else: a ready or failed video stays that way, and nothing goes back.
services._transition() is the only writer of LectureVideo.status and checks every change
here first.
"""

UPLOADED = "uploaded"
QUEUED = "queued"
PROCESSING = "processing"
READY = "ready"
FAILED = "failed"

TRANSITIONS: dict[str, frozenset[str]] = {
    UPLOADED: frozenset({QUEUED}),
    QUEUED: frozenset({PROCESSING}),
    PROCESSING: frozenset({READY, FAILED}),
    READY: frozenset(),
    FAILED: frozenset(),
}

FINAL = frozenset({READY, FAILED})


class InvalidTransition(Exception):
    def __init__(self, current: str, new: str):
        super().__init__(f"a video cannot go from {current!r} to {new!r}")
        self.current = current
        self.new = new


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(current, new)
