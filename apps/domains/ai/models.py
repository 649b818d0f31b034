"""AI jobs, answer keys and questions. Write through services.py, read through selectors.py."""

from django.core.validators import MinValueValidator
from django.db import models

from apps.core.models import BaseModel, Tenant
from apps.domains.ai import status
from apps.shared.contracts import AIJobType


class AnswerKey(BaseModel):
    """The correct choice of every question of one answer sheet.

    answers[i] is question i+1's correct choice, 1-based (1..choices).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="answer_keys")
    name = models.CharField(max_length=200)
    choices = models.PositiveSmallIntegerField(default=5)
    answers = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="answerkey_tenant_created")]

    def __str__(self) -> str:
        return self.name


class Question(BaseModel):
    """A question's text and, once an embed job has run, its sentence embedding."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    # A unit-length vector (list of floats) from the model named in embedding_model.
    embedding = models.JSONField(null=True, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True)
    # The question's Korean content morphemes ("함수/NNG", ...), for lexical ranking; set with
    # the embedding.
    terms = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="question_tenant_created")]

    def __str__(self) -> str:
        return self.text[:50]


class AIJob(BaseModel):
    """One OCR, answer-sheet grading or embedding request and what the AI worker made of it.

    The job's id is its queue message's job_id (the idempotency key).
    """

    class Type(models.TextChoices):
        OCR = AIJobType.OCR.value, "OCR"
        OMR_GRADE = AIJobType.OMR_GRADE.value, "answer-sheet grading"
        EMBED = AIJobType.EMBED.value, "embeddings"

    class Status(models.TextChoices):
        CREATED = status.CREATED, "created"
        QUEUED = status.QUEUED, "queued"
        PROCESSING = status.PROCESSING, "processing"
        SUCCEEDED = status.SUCCEEDED, "succeeded"
        FAILED = status.FAILED, "failed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ai_jobs")
    job_type = models.CharField(max_length=16, choices=Type.choices)
    # Changed only by services._transition() (see status.py).
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATED)
    failure_reason = models.TextField(blank=True)

    # ocr and omr_grade: the uploaded image's or PDF's storage key, its client-side name
    # (display only), size and the format its first bytes show; of a PDF, the page to read.
    input_key = models.CharField(max_length=1024, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    input_format = models.CharField(max_length=16, blank=True)
    page = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    # omr_grade: the key to grade against.
    answer_key = models.ForeignKey(AnswerKey, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="jobs")
    # embed: the questions to embed (ids as strings).
    question_ids = models.JSONField(default=list, blank=True)

    result = models.JSONField(null=True, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="aijob_tenant_created")]

    def __str__(self) -> str:
        return f"{self.job_type} {self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in status.FINAL
