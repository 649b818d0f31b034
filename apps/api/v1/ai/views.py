"""AI jobs, answer keys and questions, always within the caller's tenant: another tenant's
job, key or question is a 404 (or, named in a request body, a 400).

    GET/POST  /api/v1/ai/jobs/                 POST: type ocr | omr_grade (multipart "file",
                                               an image or a PDF with "page", default 1;
                                               omr_grade also "answer_key") or embed (JSON
                                               "question_ids"): 201, "queued"
    GET       /api/v1/ai/jobs/{id}/            status, result when succeeded, reason when failed
    GET/POST  /api/v1/ai/answer-keys/          {"name", "choices", "answers": [3, 1, ...]}
    GET       /api/v1/ai/answer-keys/{id}/
    GET/POST  /api/v1/questions/               {"text"}
    GET       /api/v1/questions/{id}/
    GET       /api/v1/questions/{id}/similar/?k=5   nearest questions by embedding

A file that is not an image or PDF, or too large, is a 400 at upload; one that only
decoding shows to be unreadable (a corrupt or encrypted PDF, a page it does not have) makes
a "failed" job with the reason. A job stored but not queued is a 503.
"""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import status as http
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.api.v1.ai.serializers import (
    AnswerKeyInputSerializer,
    AnswerKeyOutputSerializer,
    JobCreateSerializer,
    JobOutputSerializer,
    QuestionInputSerializer,
    QuestionOutputSerializer,
    SimilarQuestionSerializer,
)
from apps.domains.ai import selectors, services
from apps.shared.contracts import AIJobType
from apps.support.ai.services import uploads

MAX_SIMILAR = 50
UUID_REGEX = "[0-9a-f-]{36}"


class NoEmbedding(APIException):
    status_code = http.HTTP_409_CONFLICT
    default_code = "no_embedding"


class AIJobViewSet(viewsets.GenericViewSet):
    lookup_value_regex = UUID_REGEX
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return selectors.job_list(tenant=self.request.tenant)

    def get_serializer_class(self):  # for the schema only
        return JobOutputSerializer

    @swagger_auto_schema(responses={200: JobOutputSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(JobOutputSerializer(page, many=True).data)

    @swagger_auto_schema(request_body=JobCreateSerializer, responses={201: JobOutputSerializer})
    def create(self, request):
        serializer = JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # A refusal (an unreadable upload, the queue down) is answered by apps.api.common.errors.
        if data["type"] == AIJobType.EMBED:
            ids = list(dict.fromkeys(data["question_ids"]))
            questions = selectors.questions_by_ids(tenant_id=request.tenant.id, question_ids=ids)
            if len(questions) != len(ids):
                found = {q.id for q in questions}
                raise ValidationError({"question_ids": [f"no such question: {i}" for i in ids if i not in found]})
            job = uploads.submit_embed_job(tenant=request.tenant, questions=questions)
        else:
            answer_key = None
            if data["type"] == AIJobType.OMR_GRADE:
                answer_key = selectors.answer_key_get(tenant=request.tenant, answer_key_id=data["answer_key"])
                if answer_key is None:
                    raise ValidationError({"answer_key": [f"no such answer key: {data['answer_key']}"]})
            job = uploads.submit_image_job(tenant=request.tenant, job_type=data["type"], upload=data["file"],
                                           answer_key=answer_key, page=data.get("page", 1))
        return Response(JobOutputSerializer(job).data, status=http.HTTP_201_CREATED)

    @swagger_auto_schema(responses={200: JobOutputSerializer})
    def retrieve(self, request, pk=None):
        job = selectors.job_get(tenant=request.tenant, job_id=pk)
        if job is None:
            raise Http404
        return Response(JobOutputSerializer(job).data)


class AnswerKeyViewSet(viewsets.GenericViewSet):
    lookup_value_regex = UUID_REGEX

    def get_queryset(self):
        return selectors.answer_key_list(tenant=self.request.tenant)

    def get_serializer_class(self):  # for the schema only
        return AnswerKeyOutputSerializer

    @swagger_auto_schema(responses={200: AnswerKeyOutputSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AnswerKeyOutputSerializer(page, many=True).data)

    @swagger_auto_schema(request_body=AnswerKeyInputSerializer, responses={201: AnswerKeyOutputSerializer})
    def create(self, request):
        serializer = AnswerKeyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            key = services.create_answer_key(tenant=request.tenant, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        return Response(AnswerKeyOutputSerializer(key).data, status=http.HTTP_201_CREATED)

    @swagger_auto_schema(responses={200: AnswerKeyOutputSerializer})
    def retrieve(self, request, pk=None):
        key = selectors.answer_key_get(tenant=request.tenant, answer_key_id=pk)
        if key is None:
            raise Http404
        return Response(AnswerKeyOutputSerializer(key).data)


class QuestionViewSet(viewsets.GenericViewSet):
    lookup_value_regex = UUID_REGEX

    def get_queryset(self):
        return selectors.question_list(tenant=self.request.tenant)

    def get_serializer_class(self):  # for the schema only
        return QuestionOutputSerializer

    def _question(self, pk):
        question = selectors.question_get(tenant=self.request.tenant, question_id=pk)
        if question is None:
            raise Http404
        return question

    @swagger_auto_schema(responses={200: QuestionOutputSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(QuestionOutputSerializer(page, many=True).data)

    @swagger_auto_schema(request_body=QuestionInputSerializer, responses={201: QuestionOutputSerializer})
    def create(self, request):
        serializer = QuestionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = services.create_question(tenant=request.tenant, **serializer.validated_data)
        return Response(QuestionOutputSerializer(question).data, status=http.HTTP_201_CREATED)

    @swagger_auto_schema(responses={200: QuestionOutputSerializer})
    def retrieve(self, request, pk=None):
        return Response(QuestionOutputSerializer(self._question(pk)).data)

    @swagger_auto_schema(method="get", responses={200: SimilarQuestionSerializer(many=True)}, manual_parameters=[
        openapi.Parameter("k", openapi.IN_QUERY, type=openapi.TYPE_INTEGER, description="how many (1-50, 5)")])
    @action(detail=True, methods=["get"], url_path="similar")
    def similar(self, request, pk=None):
        question = self._question(pk)
        try:
            k = int(request.query_params.get("k", 5))
        except ValueError:
            raise ValidationError({"k": ["k must be an integer"]}) from None
        if not 1 <= k <= MAX_SIMILAR:
            raise ValidationError({"k": [f"k must be between 1 and {MAX_SIMILAR}"]})
        if not question.embedding:
            raise NoEmbedding("the question has no embedding yet: run an embed job for it first")
        found = selectors.similar_questions(question=question, k=k,
                                            lexical_weight=settings.AI_SIMILAR_LEXICAL_WEIGHT)
        return Response(SimilarQuestionSerializer(
            [{"id": q.id, "text": q.text, "score": round(score, 6)} for q, score in found], many=True).data)
