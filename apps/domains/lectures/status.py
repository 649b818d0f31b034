"""The one place that says how a lecture video's status may change.

    uploaded -> queued -> processing -> ready
                                     -> failed

Nothing else: a ready or failed video stays that way, and nothing goes back.
services._transition() is the only writer of LectureVideo.status: it moves a video with
MACHINE.move(), which checks every change here first.
"""

from apps.core.status_machine import InvalidTransition, StatusMachine  # noqa: F401 (re-exported)

UPLOADED = "uploaded"
QUEUED = "queued"
PROCESSING = "processing"
READY = "ready"
FAILED = "failed"

MACHINE = StatusMachine("a video", {
    UPLOADED: frozenset({QUEUED}),
    QUEUED: frozenset({PROCESSING}),
    PROCESSING: frozenset({READY, FAILED}),
    READY: frozenset(),
    FAILED: frozenset(),
})

TRANSITIONS = MACHINE.transitions
FINAL = MACHINE.final
check_transition = MACHINE.check

