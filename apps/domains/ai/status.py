"""The one place that says how an AI job's status may change.

    created -> queued -> processing -> succeeded | failed
    queued -> failed        its job gave up before it started
    failed -> queued        only `manage dlq redrive`: a job that gave up, sent again

Nothing else: a succeeded job stays that way.
services._transition() is the only writer of AIJob.status:
it moves a job with MACHINE.move(), which checks every change here first.
"""

from apps.core.status_machine import InvalidTransition, StatusMachine  # noqa: F401 (re-exported)

CREATED = "created"
QUEUED = "queued"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"

MACHINE = StatusMachine("an AI job", {
    CREATED: frozenset({QUEUED}),
    QUEUED: frozenset({PROCESSING, FAILED}),
    PROCESSING: frozenset({SUCCEEDED, FAILED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset({QUEUED}),
})

TRANSITIONS = MACHINE.transitions
# Where a job's work ends; an operator's redrive may still re-open a failed one.
FINAL = frozenset({SUCCEEDED, FAILED})
check_transition = MACHINE.check

