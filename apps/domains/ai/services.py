"""Writes to AI jobs, answer keys and questions: used by the API and by the AI worker alike.

Every job status change goes through _transition(), which checks it against status.py and
applies it as a conditional UPDATE (".. WHERE status = <the status we saw>"), so two
processes racing on one job cannot both move it: the loser gets InvalidTransition.
"""

import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.models import Tenant
from apps.domains.ai import status
from apps.domains.ai.models import AIJob, AnswerKey, Question
from apps.domains.ai.status import InvalidTransition

FAILURE_REASON_MAX_CHARS = 2000
MAX_CHOICES = 9
MAX_QUESTIONS = 200


# --- answer keys and questions ---------------------------------------------------------------

def create_answer_key(*, tenant: Tenant, name: str, answers: Sequence[int], choices: int = 5) -> AnswerKey:
    if not 2 <= choices <= MAX_CHOICES:
        raise ValidationError({"choices": f"choices must be between 2 and {MAX_CHOICES}"})
    if not 1 <= len(answers) <= MAX_QUESTIONS:
        raise ValidationError({"answers": f"an answer key has 1 to {MAX_QUESTIONS} answers"})
    bad = [i + 1 for i, a in enumerate(answers) if not (isinstance(a, int) and 1 <= a <= choices)]
    if bad:
        raise ValidationError({"answers": f"answers must be choices 1..{choices}; questions {bad[:10]} are not"})
    key = AnswerKey(tenant=tenant, name=name, answers=list(answers), choices=choices)
    key.full_clean()
    key.save()
    return key


def create_question(*, tenant: Tenant, text: str) -> Question:
    question = Question(tenant=tenant, text=text)
    question.full_clean()
    question.save()
    return question


def store_embeddings(*, tenant_id: uuid.UUID, vectors: dict[uuid.UUID, list[float]], model: str,
                     terms: dict[uuid.UUID, list[str]] | None = None) -> int:
    """Saves each question's embedding and lexical terms (only the job's tenant's
    questions); returns how many."""
    saved = 0
    for question_id, vector in vectors.items():
        saved += Question.objects.filter(pk=question_id, tenant_id=tenant_id).update(
            embedding=[float(v) for v in vector], embedding_model=model,
            terms=(terms or {}).get(question_id), updated_at=timezone.now())
    return saved


# --- jobs ------------------------------------------------------------------------------------

def create_job(*, tenant: Tenant, job_type: str, job_id: uuid.UUID | None = None, input_key: str = "",
               original_filename: str = "", size_bytes: int = 0, input_format: str = "", page: int = 1,
               answer_key: AnswerKey | None = None, question_ids: Sequence[uuid.UUID] = ()) -> AIJob:
    """Records a job whose input (if any) is already in storage; status "created"."""
    job = AIJob(
        id=job_id or uuid.uuid4(), tenant=tenant, job_type=job_type, input_key=input_key,
        original_filename=original_filename[:255], size_bytes=size_bytes, input_format=input_format, page=page,
        answer_key=answer_key, question_ids=[str(q) for q in question_ids],
    )
    job.full_clean()
    job.save(force_insert=True)
    return job


def mark_queued(*, job: AIJob) -> AIJob:
    """created -> queued, after the message was sent. The worker may have taken the message
    (and moved the job on) before this runs: then there is nothing to do."""
    try:
        return _transition(job, status.QUEUED)
    except InvalidTransition:
        if job.status in (status.PROCESSING, *status.FINAL):
            return job
        raise


def start_processing(*, job: AIJob) -> AIJob:
    """-> processing, when a worker starts on the job (a job still "created" passes through
    "queued"; one already "processing" was started by an earlier delivery and stays)."""
    if job.status == status.PROCESSING:
        return job
    if job.status == status.CREATED:
        job = mark_queued(job=job)
        if job.status == status.PROCESSING:
            return job
    return _transition(job, status.PROCESSING, processing_started_at=timezone.now(), failure_reason="")


def mark_succeeded(*, job: AIJob, result: dict) -> AIJob:
    if job.status == status.SUCCEEDED:
        return job
    return _transition(job, status.SUCCEEDED, result=result, finished_at=timezone.now())


def mark_failed(*, job: AIJob, reason: str) -> AIJob:
    """queued or processing -> failed, with a reason a person can act on. Repeating it is a no-op."""
    if job.status == status.FAILED:
        return job
    return _transition(job, status.FAILED, failure_reason=reason[:FAILURE_REASON_MAX_CHARS] or "failed",
                       finished_at=timezone.now())


def reopen(*, job: AIJob) -> AIJob:
    """failed -> queued, when an operator redrives the job's dead-lettered message."""
    return _transition(job, status.QUEUED, failure_reason="", finished_at=None)


def _transition(job: AIJob, new: str, **fields) -> AIJob:
    """The only writer of AIJob.status."""
    return status.MACHINE.move(job, new, **fields)
