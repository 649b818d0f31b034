"""The AI worker on CPU: OCR, answer-sheet grading and embeddings."""

import sys

from apps.worker.runtime.entrypoint import run


def main(argv: list[str] | None = None) -> int:
    return run("ai-cpu", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
