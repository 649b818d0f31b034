"""The one place that says how an AI job's status may change.

    created -> queued -> processing -> succeeded
                                    -> failed

Nothing else: a succeeded or failed job stays that way, and nothing goes back.
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
    QUEUED: frozenset({PROCESSING}),
    PROCESSING: frozenset({SUCCEEDED, FAILED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset(),
})

TRANSITIONS = MACHINE.transitions
FINAL = MACHINE.final
check_transition = MACHINE.check

