"""The AI worker on GPU: text embeddings in large batches on CUDA.

It refuses to start (and --check fails) unless torch is installed and sees a CUDA device.
"""

import functools
import sys

from apps.support.ai.services.queue import AISQSQueue
from apps.worker.runtime.entrypoint import lazy, run


def check_cuda() -> str | None:
    """None when torch sees a CUDA device, else the reason it does not."""
    try:
        import torch
    except ImportError:
        return "torch is not installed in this environment; the GPU worker needs torch built with CUDA"
    if not torch.cuda.is_available():
        return (f"CUDA is not available to torch {torch.__version__} (built for CUDA {torch.version.cuda}): "
                "no GPU visible, or the driver does not match")
    return None


def load_handler():
    """The job handler, imported once Django is set up (it imports models)."""
    from apps.support.ai.services import jobs

    return jobs.handler_for("cuda")


def main(argv: list[str] | None = None) -> int:
    return run("ai-gpu", __doc__, argv, queue=functools.partial(AISQSQueue, device="gpu"), handler=lazy(load_handler),
               checks=[check_cuda])


if __name__ == "__main__":
    sys.exit(main())
