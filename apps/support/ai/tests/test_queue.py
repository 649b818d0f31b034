import uuid

import pytest

from apps.shared.contracts import AIJobMessage, AIJobType
from apps.support.ai.services.queue import AISQSQueue


def _job(job_type):
    return AIJobMessage(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), job_type=job_type)


def test_cpu_and_gpu_queues_come_from_settings(settings):
    settings.SQS_QUEUES = {**settings.SQS_QUEUES, "ai-cpu": "t-cpu", "ai-gpu": "t-gpu"}
    assert AISQSQueue(device="cpu").name == "t-cpu"
    assert AISQSQueue(device="gpu").name == "t-gpu" and AISQSQueue(device="gpu").dlq_name == "t-gpu-dlq"
    with pytest.raises(ValueError, match="device must be one of"):
        AISQSQueue(device="tpu")


def test_embeddings_follow_the_embed_device_and_the_rest_stay_on_cpu(settings):
    settings.AI_EMBED_DEVICE = "gpu"
    assert AISQSQueue.for_job(_job(AIJobType.EMBED)).device == "gpu"
    assert AISQSQueue.for_job(_job(AIJobType.OCR)).device == "cpu"
    assert AISQSQueue.for_job(_job(AIJobType.OMR_GRADE)).device == "cpu"
    settings.AI_EMBED_DEVICE = "cpu"
    assert AISQSQueue.for_job(_job(AIJobType.EMBED)).device == "cpu"
