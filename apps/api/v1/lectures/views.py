"""Lectures and their videos, always within the caller's tenant: another tenant's lecture
or video is a 404.

    GET/POST             /api/v1/lectures/
    GET/PUT/PATCH/DELETE /api/v1/lectures/{id}/
    GET                  /api/v1/lectures/{id}/videos/
    POST                 /api/v1/lectures/{id}/videos/             multipart "file": 201, "queued"
    GET                  /api/v1/lectures/{id}/videos/{video_id}/  status, progress, renditions,
                                                                   protected; playback_url when
                                                                   ready and not protected
A protected (encrypted) video plays through a playback session (apps/api/v1/playback).

An upload over VIDEO_UPLOAD_MAX_BYTES is a 413 (refused from its Content-Length before
the body is read), a file whose bytes are not a video container a 415, and a video that
was stored but could not be queued a 503.
"""

from django.conf import settings
from django.http import Http404
from drf_yasg.utils import swagger_auto_schema
from rest_framework import status as http
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.api.common.errors import PayloadTooLarge
from apps.api.v1.lectures.serializers import (
    LectureInputSerializer,
    LectureOutputSerializer,
    LectureUpdateSerializer,
    VideoOutputSerializer,
    VideoUploadSerializer,
)
from apps.domains.lectures import selectors, services
from apps.support.video.services import uploads

# Room for the multipart envelope around the file when judging a Content-Length.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def video_data(request, video) -> dict:
    def absolute(url):
        return request.build_absolute_uri(url) if url and url.startswith("/") else url

    data = {field: getattr(video, field) for field in VideoOutputSerializer().fields
            if field not in ("playback_url", "thumbnail_url", "protected")}
    data["protected"] = video.is_protected
    data["playback_url"] = absolute(selectors.playback_url(video=video))
    data["thumbnail_url"] = absolute(selectors.thumbnail_url(video=video))
    return VideoOutputSerializer(data).data


class LectureViewSet(viewsets.GenericViewSet):
    lookup_value_regex = "[0-9a-f-]{36}"

    def get_queryset(self):
        return selectors.lecture_list(tenant=self.request.tenant)

    def get_serializer_class(self):  # for the schema only
        return LectureOutputSerializer

    def _lecture(self, pk):
        lecture = selectors.lecture_get(tenant=self.request.tenant, lecture_id=pk)
        if lecture is None:
            raise Http404
        return lecture

    @swagger_auto_schema(responses={200: LectureOutputSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(LectureOutputSerializer(page, many=True).data)

    @swagger_auto_schema(request_body=LectureInputSerializer, responses={201: LectureOutputSerializer})
    def create(self, request):
        serializer = LectureInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lecture = services.create_lecture(tenant=request.tenant, **serializer.validated_data)
        return Response(LectureOutputSerializer(lecture).data, status=http.HTTP_201_CREATED)

    @swagger_auto_schema(responses={200: LectureOutputSerializer})
    def retrieve(self, request, pk=None):
        return Response(LectureOutputSerializer(self._lecture(pk)).data)

    @swagger_auto_schema(request_body=LectureInputSerializer, responses={200: LectureOutputSerializer})
    def update(self, request, pk=None):
        return self._update(request, pk, LectureInputSerializer)

    @swagger_auto_schema(request_body=LectureUpdateSerializer, responses={200: LectureOutputSerializer})
    def partial_update(self, request, pk=None):
        return self._update(request, pk, LectureUpdateSerializer)

    def _update(self, request, pk, serializer_class):
        lecture = self._lecture(pk)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        lecture = services.update_lecture(lecture=lecture, **serializer.validated_data)
        return Response(LectureOutputSerializer(lecture).data)

    def destroy(self, request, pk=None):
        services.delete_lecture(lecture=self._lecture(pk))
        return Response(status=http.HTTP_204_NO_CONTENT)

    @swagger_auto_schema(method="get", responses={200: VideoOutputSerializer(many=True)})
    @swagger_auto_schema(method="post", request_body=VideoUploadSerializer, responses={201: VideoOutputSerializer})
    @action(detail=True, methods=["get", "post"], url_path="videos", parser_classes=[MultiPartParser])
    def videos(self, request, pk=None):
        lecture = self._lecture(pk)
        if request.method == "GET":
            videos = self.paginate_queryset(selectors.video_list(lecture=lecture))
            return self.get_paginated_response([video_data(request, v) for v in videos])
        self._refuse_oversized(request)
        serializer = VideoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A refusal (too large, not a video, queue down) is answered by apps.api.common.errors.
        video = uploads.accept_upload(lecture=lecture, upload=serializer.validated_data["file"])
        return Response(video_data(request, video), status=http.HTTP_201_CREATED)

    @swagger_auto_schema(method="get", responses={200: VideoOutputSerializer})
    @action(detail=True, methods=["get"], url_path=r"videos/(?P<video_id>[0-9a-f-]{36})")
    def video(self, request, pk=None, video_id=None):
        video = selectors.video_get(lecture=self._lecture(pk), video_id=video_id)
        if video is None:
            raise Http404
        return Response(video_data(request, video))

    def _refuse_oversized(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.VIDEO_UPLOAD_MAX_BYTES
        if length > limit + MULTIPART_OVERHEAD_BYTES:
            raise PayloadTooLarge(f"the upload is {length} bytes; the limit is {limit} bytes")
