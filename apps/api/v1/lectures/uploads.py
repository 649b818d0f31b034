"""Direct, resumable uploads of big lecture videos, within the caller's tenant (another
tenant's lecture or upload is a 404). The bytes go straight to the storage in parts; these
endpoints keep the books (apps/support/video/services/direct_uploads.py).

    GET/POST  /api/v1/lectures/{id}/uploads/                        start: 201 with part URLs
    GET       /api/v1/lectures/{id}/uploads/{upload_id}/            the parts the storage holds
    DELETE    /api/v1/lectures/{id}/uploads/{upload_id}/            abort: 204, parts freed
    POST      /api/v1/lectures/{id}/uploads/{upload_id}/part-urls/  more (or fresh) part URLs
    POST      /api/v1/lectures/{id}/uploads/{upload_id}/complete    201 with the queued video
"""

from django.http import Http404
from drf_yasg.utils import swagger_auto_schema
from rest_framework import status as http
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.api.v1.lectures.serializers import (
    PartURLRequestSerializer,
    PartURLSerializer,
    StoredPartSerializer,
    UploadCompletedSerializer,
    UploadCompleteSerializer,
    UploadOutputSerializer,
    UploadStartSerializer,
)
from apps.api.v1.lectures.views import video_data
from apps.domains.lectures import selectors
from apps.support.video.services import direct_uploads


def part_url_data(urls) -> list[dict]:
    return PartURLSerializer([{"part_number": u.number, "method": "PUT", "url": u.url, "headers": u.headers,
                               "expires_at": u.expires_at} for u in urls], many=True).data


def base_url(request) -> str:
    """Where the filesystem storage's part endpoint is reached: this API, as the client sees it."""
    return request.build_absolute_uri("/").rstrip("/")


class VideoUploadViewSet(viewsets.GenericViewSet):
    lookup_value_regex = "[0-9a-f-]{36}"
    serializer_class = UploadOutputSerializer  # for the schema only

    def get_queryset(self):
        return self._lecture().uploads.all()

    def _lecture(self):
        lecture = selectors.lecture_get(tenant=self.request.tenant, lecture_id=self.kwargs["lecture_pk"])
        if lecture is None:
            raise Http404
        return lecture

    def _upload(self, pk):
        upload = selectors.upload_get(lecture=self._lecture(), upload_id=pk)
        if upload is None:
            raise Http404
        return upload

    def _data(self, upload, *, parts=None, urls=()) -> dict:
        data = dict(UploadOutputSerializer(upload).data)
        if parts is not None:
            data["parts"] = StoredPartSerializer(
                [{"part_number": p.number, "size": p.size, "etag": p.etag} for p in parts], many=True).data
        data["part_urls"] = part_url_data(urls)
        return data

    @swagger_auto_schema(responses={200: UploadOutputSerializer(many=True)})
    def list(self, request, lecture_pk=None):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([self._data(u) for u in page])

    @swagger_auto_schema(request_body=UploadStartSerializer, responses={201: UploadOutputSerializer})
    def create(self, request, lecture_pk=None):
        lecture = self._lecture()
        serializer = UploadStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        md5s = _by_part_number(fields["parts"], "content_md5")
        if md5s and "part_size" not in fields:
            raise ValidationError({"parts": ["checksums need the part_size they were computed for"]})
        upload, urls = direct_uploads.start_upload(
            lecture=lecture, filename=fields["filename"], size=fields["size"], content_type=fields["content_type"],
            part_size=fields.get("part_size"), md5s=md5s, base_url=base_url(request))
        return Response(self._data(upload, parts=[], urls=urls), status=http.HTTP_201_CREATED)

    @swagger_auto_schema(responses={200: UploadOutputSerializer})
    def retrieve(self, request, lecture_pk=None, pk=None):
        upload = self._upload(pk)
        parts = direct_uploads.stored_parts(upload=upload)
        return Response(self._data(upload, parts=parts))

    def destroy(self, request, lecture_pk=None, pk=None):
        direct_uploads.abort_upload(upload=self._upload(pk))
        return Response(status=http.HTTP_204_NO_CONTENT)

    @swagger_auto_schema(request_body=PartURLRequestSerializer, responses={200: PartURLSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="part-urls")
    def part_urls(self, request, lecture_pk=None, pk=None):
        upload = self._upload(pk)
        serializer = PartURLRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        md5s = _by_part_number(serializer.validated_data["parts"], "content_md5")
        urls = direct_uploads.part_urls(upload=upload, md5s=md5s, base_url=base_url(request))
        return Response({"part_urls": part_url_data(urls)})

    @swagger_auto_schema(request_body=UploadCompleteSerializer, responses={201: UploadCompletedSerializer})
    @action(detail=True, methods=["post"], url_path="complete")
    def complete(self, request, lecture_pk=None, pk=None):
        upload = self._upload(pk)
        serializer = UploadCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        etags = _by_part_number(serializer.validated_data["parts"], "etag")
        video, created = direct_uploads.complete_upload(upload=upload, etags=etags)
        body = {"upload": self._data(upload), "video": video_data(request, video)}
        return Response(body, status=http.HTTP_201_CREATED if created else http.HTTP_200_OK)


def _by_part_number(parts: list[dict], field: str) -> dict[int, str]:
    """{part_number: part[field]}, in the client's order; a part listed twice is a 400."""
    found = {}
    for part in parts:
        if part["part_number"] in found:
            raise ValidationError({"parts": [f"part {part['part_number']} is listed twice"]})
        found[part["part_number"]] = part[field]
    return found
