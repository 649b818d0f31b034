"""How a direct upload's status may change.

    uploading -> completing -> completed
              -> aborted       -> uploading   (completion could not finish: try again)
                               -> aborted     (refused: not a video, wrong size)

"completing" is held while one request completes the upload, so a second one cannot run
the same completion at the same time. Completed and aborted are final.
"""

from apps.core.status_machine import StatusMachine

UPLOADING = "uploading"
COMPLETING = "completing"
COMPLETED = "completed"
ABORTED = "aborted"

MACHINE = StatusMachine("an upload", {
    UPLOADING: frozenset({COMPLETING, ABORTED}),
    COMPLETING: frozenset({COMPLETED, UPLOADING, ABORTED}),
    COMPLETED: frozenset(),
    ABORTED: frozenset(),
})

IN_PROGRESS = frozenset({UPLOADING, COMPLETING})
