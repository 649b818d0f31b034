"""The AI worker on CPU: OCR, answer-sheet grading and embeddings."""

import functools
import sys

from apps.support.ai.services.queue import AISQSQueue
from apps.worker.runtime.entrypoint import lazy, run


def load_handler():
    """The job handler, imported once Django is set up (it imports models)."""
    from apps.support.ai.services import jobs

    return jobs.handle


def main(argv: list[str] | None = None) -> int:
    return run("ai-cpu", __doc__, argv, queue=functools.partial(AISQSQueue, device="cpu"), handler=lazy(load_handler))


if __name__ == "__main__":
    sys.exit(main())
