"""The v1 router: each domain's viewsets register here."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)

from apps.api.v1.lectures.views import LectureViewSet  # noqa: E402

router.register("lectures", LectureViewSet, basename="lecture")

from apps.api.v1.lectures.uploads import VideoUploadViewSet  # noqa: E402

router.register(r"lectures/(?P<lecture_pk>[0-9a-f-]{36})/uploads", VideoUploadViewSet, basename="video-upload")

from apps.api.v1.playback.views import PlaybackSessionViewSet, VideoPlaybackSessionViewSet  # noqa: E402

router.register(r"lectures/(?P<lecture_pk>[0-9a-f-]{36})/videos/(?P<video_pk>[0-9a-f-]{36})/playback-sessions",
                VideoPlaybackSessionViewSet, basename="video-playback-session")
router.register("playback-sessions", PlaybackSessionViewSet, basename="playback-session")

from apps.api.v1.messaging.views import AlimtalkTemplateViewSet, MessageBatchViewSet  # noqa: E402

router.register("messages", MessageBatchViewSet, basename="message-batch")
router.register("messaging/templates", AlimtalkTemplateViewSet, basename="alimtalk-template")

from apps.api.v1.ai.views import AIJobViewSet, AnswerKeyViewSet, QuestionViewSet  # noqa: E402

router.register("ai/jobs", AIJobViewSet, basename="ai-job")
router.register("ai/answer-keys", AnswerKeyViewSet, basename="ai-answer-key")
router.register("questions", QuestionViewSet, basename="question")

from apps.api.v1.tenants.views import ApiKeyViewSet, TenantViewSet  # noqa: E402

router.register("tenants", TenantViewSet, basename="tenant")
router.register("tenant/keys", ApiKeyViewSet, basename="api-key")
