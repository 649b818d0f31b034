"""AISQSQueue: AI jobs, on one of two queues by the hardware that runs them.

    AISQSQueue(device="cpu")   settings.SQS_QUEUES["ai-cpu"]: OCR, answer-sheet grading,
                               and embeddings where no GPU worker is deployed
    AISQSQueue(device="gpu")   settings.SQS_QUEUES["ai-gpu"]: embeddings in large batches
    AISQSQueue.for_job(m)      the queue a message belongs on: OCR and OMR grading always
                               on CPU; embeddings on settings.AI_EMBED_DEVICE ("cpu" by
                               default, "gpu" where the GPU worker runs)

Each queue has its own DLQ and its own worker (apps/worker/ai/sqs_main_cpu.py and
sqs_main_gpu.py), so a GPU outage never holds up OCR.
"""

from apps.core.queues import SQSQueue
from apps.shared.contracts import AIJobMessage, AIJobType

DEVICES = ("cpu", "gpu")


class AISQSQueue(SQSQueue):
    message_type = AIJobMessage

    def __init__(self, *, device: str = "cpu", **kwargs):
        if device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, not {device!r}")
        self.device = device
        self.key = f"ai-{device}"
        super().__init__(**kwargs)

    @classmethod
    def for_job(cls, message: AIJobMessage, **kwargs) -> "AISQSQueue":
        from django.conf import settings

        device = settings.AI_EMBED_DEVICE if message.job_type == AIJobType.EMBED else "cpu"
        return cls(device=device, **kwargs)
