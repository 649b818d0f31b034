"""Stands in for an SQS queue in API tests: keeps what would have been queued, or fails on demand."""


class RecordingQueue:
    def __init__(self):
        self.sent = []
        self.fail_with: Exception | None = None

    def send(self, message, **kwargs):
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
        return f"m-{len(self.sent)}"
