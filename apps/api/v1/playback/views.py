"""Playback for the academy (its API key): sessions, their progress, its policy.

    GET/POST /api/v1/lectures/{id}/videos/{video_id}/playback-sessions/   ?viewer=&live=true|false
    GET      /api/v1/lectures/{id}/videos/{video_id}/progress/            every viewer (?format=csv)
    GET      /api/v1/playback-sessions/                                   ?video=&viewer=&live=
    GET      /api/v1/playback-sessions/{id}/
    DELETE   /api/v1/playback-sessions/{id}/                              revokes it (204)
    GET      /api/v1/viewers/{viewer}/progress/                           every video (?format=csv)
    GET/PUT/PATCH /api/v1/tenant/playback-policy/

Creating a session answers its token and URLs once (like an API key's secret): hand
player_url (or the token) to that viewer's browser or app. Refusals (video not ready,
limit reached, bad viewer id) are answered by apps.api.common.errors.
"""

import uuid

from django.http import Http404
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, viewsets
from rest_framework import status as http
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.common.renderers import CSVRenderer
from apps.api.v1.playback.data import policy_data, progress_data, session_data
from apps.api.v1.playback.serializers import (
    PolicySerializer,
    ProgressSerializer,
    SessionInputSerializer,
    SessionOutputSerializer,
)
from apps.domains.lectures import selectors as lecture_selectors
from apps.domains.playback import selectors, services


def _flag(request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ValidationError({name: ["true or false"]})


def _viewer_filter(request) -> str | None:
    viewer = request.query_params.get("viewer")
    if viewer is not None:
        services.check_viewer_id(viewer)
    return viewer


def _video(request, lecture_pk, video_pk):
    try:
        lecture_id, video_id = uuid.UUID(str(lecture_pk)), uuid.UUID(str(video_pk))
    except ValueError:
        raise Http404 from None
    video = lecture_selectors.video_of_lecture(tenant=request.tenant, lecture_id=lecture_id, video_id=video_id)
    if video is None:
        raise Http404
    return video


class VideoPlaybackSessionViewSet(viewsets.GenericViewSet):
    """A video's playback sessions; POST starts one for a viewer."""

    serializer_class = SessionOutputSerializer

    @swagger_auto_schema(responses={200: SessionOutputSerializer(many=True)})
    def list(self, request, lecture_pk=None, video_pk=None):
        video = _video(request, lecture_pk, video_pk)
        sessions = selectors.session_list(tenant=request.tenant, video=video,
                                          viewer_external_id=_viewer_filter(request), live=_flag(request, "live"))
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response([session_data(request, s) for s in page])

    @swagger_auto_schema(request_body=SessionInputSerializer, responses={201: SessionOutputSerializer})
    def create(self, request, lecture_pk=None, video_pk=None):
        video = _video(request, lecture_pk, video_pk)
        incoming = SessionInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        session = services.create_session(video=video, viewer_id=values["viewer"], viewer_label=values["viewer_label"],
                                          ttl_seconds=values.get("ttl_seconds"))
        return Response(session_data(request, session, with_token=True), status=http.HTTP_201_CREATED)


class PlaybackSessionViewSet(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Every playback session of the academy; DELETE revokes one at once."""

    serializer_class = SessionOutputSerializer
    lookup_value_regex = "[0-9a-f-]{36}"

    def _session(self, pk):
        try:
            session_id = uuid.UUID(pk)
        except ValueError:
            raise Http404 from None
        session = selectors.session_get(tenant=self.request.tenant, session_id=session_id)
        if session is None:
            raise Http404
        return session

    @swagger_auto_schema(responses={200: SessionOutputSerializer(many=True)})
    def list(self, request):
        video_id = request.query_params.get("video")
        video = None
        if video_id:
            try:
                video = lecture_selectors.video_of_tenant(tenant=request.tenant, video_id=uuid.UUID(video_id))
            except ValueError:
                raise ValidationError({"video": ["a video id"]}) from None
            if video is None:
                raise Http404
        sessions = selectors.session_list(tenant=request.tenant, video=video,
                                          viewer_external_id=_viewer_filter(request), live=_flag(request, "live"))
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response([session_data(request, s) for s in page])

    def retrieve(self, request, pk=None):
        return Response(session_data(request, self._session(pk)))

    def destroy(self, request, pk=None):
        services.revoke_session(session=self._session(pk))
        return Response(status=http.HTTP_204_NO_CONTENT)


class _ProgressView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    def answer(self, request, progress):
        if request.accepted_renderer.format == "csv":
            response = Response([progress_data(p) for p in progress])
            response["Content-Disposition"] = f'attachment; filename="{self.csv_name}"'
            return response
        paginator = self.paginator_class()
        page = paginator.paginate_queryset(progress, request, view=self)
        return paginator.get_paginated_response(ProgressSerializer([progress_data(p) for p in page], many=True).data)

    @property
    def paginator_class(self):
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_PAGINATION_CLASS


class VideoProgressView(_ProgressView):
    """Every viewer's progress on one video (진도율), JSON or CSV."""

    @swagger_auto_schema(responses={200: ProgressSerializer(many=True)})
    def get(self, request, lecture_pk=None, video_pk=None):
        video = _video(request, lecture_pk, video_pk)
        self.csv_name = f"progress-{video.id}.csv"
        return self.answer(request, selectors.progress_for_video(video=video))


class ViewerProgressView(_ProgressView):
    """One viewer's progress on every video they watched, JSON or CSV."""

    @swagger_auto_schema(responses={200: ProgressSerializer(many=True)})
    def get(self, request, viewer=None):
        services.check_viewer_id(viewer)
        found = selectors.viewer_get(tenant=request.tenant, external_id=viewer)
        if found is None:
            raise Http404
        self.csv_name = f"progress-{viewer}.csv"
        return self.answer(request, selectors.progress_for_viewer(viewer=found))


class PlaybackPolicyView(APIView):
    """The academy's playback rules: live sessions per viewer, what happens beyond them, and
    the share of a video that completes it. null puts a field back to the platform's default."""

    @swagger_auto_schema(responses={200: PolicySerializer})
    def get(self, request):
        return Response(policy_data(selectors.tenant_policy(tenant_id=request.tenant.id)))

    @swagger_auto_schema(request_body=PolicySerializer, responses={200: PolicySerializer})
    def put(self, request):
        return self._update(request, partial=False)

    @swagger_auto_schema(request_body=PolicySerializer, responses={200: PolicySerializer})
    def patch(self, request):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        incoming = PolicySerializer(data=request.data, partial=partial)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        if not partial:
            values = {name: values.get(name) for name in ("max_sessions_per_viewer", "on_limit", "completion_percent")}
        return Response(policy_data(services.update_policy(tenant=request.tenant, **values)))
