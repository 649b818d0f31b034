"""AI job, answer key and question representations: shapes only, no logic."""

from rest_framework import serializers

from apps.shared.contracts import AIJobType

MAX_QUESTION_IDS = 1000
MAX_PAGE = 100_000


class JobCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[t.value for t in AIJobType])
    file = serializers.FileField(required=False,
                                 help_text="ocr, omr_grade: the image or PDF (multipart/form-data)")
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE,
                                    help_text="ocr, omr_grade on a PDF: the page to read, 1-based (default 1)")
    answer_key = serializers.UUIDField(required=False, help_text="omr_grade: the answer key's id")
    question_ids = serializers.ListField(child=serializers.UUIDField(), required=False,
                                         max_length=MAX_QUESTION_IDS, help_text="embed: the questions to embed")

    def validate(self, data):
        job_type = data["type"]
        if job_type in (AIJobType.OCR, AIJobType.OMR_GRADE):
            if "file" not in data:
                raise serializers.ValidationError({"file": [f"a {job_type} job needs an image file or a PDF"]})
            if data.get("question_ids"):
                raise serializers.ValidationError({"question_ids": [f"a {job_type} job takes no question ids"]})
        if job_type == AIJobType.OMR_GRADE and "answer_key" not in data:
            raise serializers.ValidationError({"answer_key": ["an omr_grade job needs an answer key"]})
        if job_type == AIJobType.EMBED:
            if not data.get("question_ids"):
                raise serializers.ValidationError({"question_ids": ["an embed job needs question ids"]})
            if "file" in data:
                raise serializers.ValidationError({"file": ["an embed job takes no file"]})
            if "page" in data:
                raise serializers.ValidationError({"page": ["an embed job takes no page"]})
        return data


class JobOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.CharField(source="job_type")
    status = serializers.CharField(help_text="created, queued, processing, succeeded or failed")
    failure_reason = serializers.CharField()
    original_filename = serializers.CharField()
    size_bytes = serializers.IntegerField()
    input_format = serializers.CharField()
    page = serializers.IntegerField(help_text="of a PDF, the page read (1-based)")
    answer_key = serializers.UUIDField(source="answer_key_id", allow_null=True)
    question_ids = serializers.ListField(child=serializers.CharField())
    result = serializers.JSONField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class AnswerKeyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    choices = serializers.IntegerField(min_value=2, max_value=9, default=5)
    answers = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=200,
                                    help_text="the correct choice of each question, 1-based")


class AnswerKeyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    choices = serializers.IntegerField()
    answers = serializers.ListField(child=serializers.IntegerField())
    created_at = serializers.DateTimeField()


class QuestionInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000)


class QuestionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    text = serializers.CharField()
    has_embedding = serializers.SerializerMethodField()
    embedding_model = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_has_embedding(self, question) -> bool:
        return bool(question.embedding)


class SimilarQuestionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    text = serializers.CharField()
    score = serializers.FloatField(help_text="cosine similarity, -1..1")
