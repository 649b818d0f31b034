"""The uploader's errors: UploadError where the upload cannot go on, UploadInterrupted where
running the same command again resumes it, and _Stopped, raised inside the package when the
run is stopping."""

RESUME_HINT = "run the same command again to resume"


class UploadError(Exception):
    """The upload cannot go on; the message says why."""


class UploadInterrupted(UploadError):
    """The run stopped, but the state is kept: the same command again picks up from here."""

    def __init__(self, reason: str, hint: str = RESUME_HINT):
        super().__init__(reason)
        self.hint = hint


class _Stopped(Exception):
    """Raised in a part thread when the run is stopping; never leaves this package."""
