"""The AI worker on GPU: text embeddings in large batches on CUDA."""

import sys

from apps.worker.runtime.entrypoint import run


def main(argv: list[str] | None = None) -> int:
    return run("ai-gpu", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
