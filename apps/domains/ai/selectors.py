"""Reads of AI jobs, answer keys and questions, always within one tenant (or one job's tenant)."""

import uuid
from collections.abc import Sequence

import numpy as np
from django.db.models import QuerySet

from apps.core.models import Tenant
from apps.domains.ai import ranking
from apps.domains.ai.models import AIJob, AnswerKey, Question


def job_list(*, tenant: Tenant) -> QuerySet[AIJob]:
    return AIJob.objects.filter(tenant=tenant)


def job_get(*, tenant: Tenant, job_id: uuid.UUID) -> AIJob | None:
    return job_list(tenant=tenant).filter(pk=job_id).first()


def job_for_message(*, job_id: uuid.UUID, tenant_id: uuid.UUID) -> AIJob | None:
    """The job a queue message names, provided it belongs to the message's tenant."""
    return AIJob.objects.select_related("answer_key").filter(pk=job_id, tenant_id=tenant_id).first()


def answer_key_get(*, tenant: Tenant, answer_key_id: uuid.UUID) -> AnswerKey | None:
    return AnswerKey.objects.filter(tenant=tenant, pk=answer_key_id).first()


def question_list(*, tenant: Tenant) -> QuerySet[Question]:
    return Question.objects.filter(tenant=tenant)


def question_get(*, tenant: Tenant, question_id: uuid.UUID) -> Question | None:
    return question_list(tenant=tenant).filter(pk=question_id).first()


def questions_not_embedded_by(*, tenant: Tenant, model: str) -> QuerySet[Question]:
    """The tenant's questions with no embedding, or one from another model, oldest first."""
    return (Question.objects.filter(tenant=tenant)
            .exclude(embedding__isnull=False, embedding_model=model).order_by("created_at", "id"))


def questions_by_ids(*, tenant_id: uuid.UUID, question_ids: Sequence[uuid.UUID | str]) -> list[Question]:
    """The tenant's questions among question_ids, in the order given (unknown ids left out)."""
    found = {str(q.id): q for q in Question.objects.filter(tenant_id=tenant_id, pk__in=list(question_ids))}
    return [found[str(i)] for i in question_ids if str(i) in found]


def similar_questions(*, question: Question, k: int = 5, lexical_weight: float = 0.0) -> list[tuple[Question, float]]:
    """The k questions of the same tenant most like question, best first, each with its
    embedding's cosine similarity: ranked by that cosine combined with the match of their
    Korean terms (ranking.rank; lexical_weight 0: the cosine alone). Questions without an
    embedding, or with one from another model, are left out; an empty list when question
    has none itself."""
    if not question.embedding:
        return []
    others = [q for q in Question.objects.filter(tenant_id=question.tenant_id, embedding__isnull=False,
                                                  embedding_model=question.embedding_model)
              .exclude(pk=question.pk).only("id", "text", "embedding", "terms", "created_at")
              if q.embedding and len(q.embedding) == len(question.embedding)]
    if not others:
        return []
    ranked = ranking.rank(query_vector=question.embedding, query_terms=question.terms,
                          vectors=np.asarray([q.embedding for q in others], dtype=np.float32),
                          terms=[q.terms for q in others], lexical_weight=lexical_weight)
    return [(others[i], float(ranked.cosine[i])) for i in ranked.order[:k]]


def answer_key_list(*, tenant: Tenant) -> QuerySet[AnswerKey]:
    return AnswerKey.objects.filter(tenant=tenant)
