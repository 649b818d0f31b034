"""The one place that says how a lecture video's status may change.

    uploaded -> queued -> processing -> ready | failed
    queued -> failed        its job gave up before it started
    failed -> queued        only `manage dlq redrive`: a job that gave up, sent again

Nothing else: a ready video stays that way.
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
    QUEUED: frozenset({PROCESSING, FAILED}),
    PROCESSING: frozenset({READY, FAILED}),
    READY: frozenset(),
    FAILED: frozenset({QUEUED}),
})

TRANSITIONS = MACHINE.transitions
# Where a job's work ends; an operator's redrive may still re-open a failed one.
FINAL = frozenset({READY, FAILED})
check_transition = MACHINE.check

