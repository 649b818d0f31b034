"""The AI worker on CPU: OCR, answer-sheet grading and embeddings.

--check also runs tesseract once with the Korean and English data, as a job would.
"""

import functools
import sys

from apps.support.ai.services.queue import AISQSQueue
from apps.worker.runtime.entrypoint import lazy, run


def load_handler():
    """The job handler, imported once Django is set up (it imports models)."""
    from apps.support.ai.services import jobs

    return jobs.handle


def check_tesseract() -> str | None:
    """tesseract runs with the Korean and English data (imported here: it loads opencv)."""
    from apps.support.ai.services.ocr import check_tesseract

    return check_tesseract()


def main(argv: list[str] | None = None) -> int:
    return run("ai-cpu", __doc__, argv, queue=functools.partial(AISQSQueue, device="cpu"), handler=lazy(load_handler),
               checks=[check_tesseract])


if __name__ == "__main__":
    sys.exit(main())
