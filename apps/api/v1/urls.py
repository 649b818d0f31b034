from django.urls import include, path, re_path

from apps.api.v1.lectures.part_views import upload_part
from apps.api.v1.lectures.uploads import VideoUploadViewSet
from apps.api.v1.playback import viewer_views
from apps.api.v1.playback.views import PlaybackPolicyView, VideoProgressView, ViewerProgressView
from apps.api.v1.routers import router
from apps.api.v1.tenants.views import CurrentTenantView

urlpatterns = [
    path("tenant/", CurrentTenantView.as_view(), name="current-tenant"),
    path("tenant/playback-policy/", PlaybackPolicyView.as_view(), name="playback-policy"),
    path("lectures/<uuid:lecture_pk>/videos/<uuid:video_pk>/progress/", VideoProgressView.as_view(),
         name="video-progress"),
    path("viewers/<str:viewer>/progress/", ViewerProgressView.as_view(), name="viewer-progress"),
    # A viewer's player: the token in the path is its only credential (apps/api/v1/playback).
    path("playback/<str:token>/", viewer_views.SessionInfoView.as_view(), name="playback-session-info"),
    path("playback/<str:token>/master.m3u8", viewer_views.MasterPlaylistView.as_view(), name="playback-master"),
    path("playback/<str:token>/<str:rendition>/index.m3u8", viewer_views.MediaPlaylistView.as_view(),
         name="playback-media"),
    path("playback/<str:token>/key", viewer_views.KeyView.as_view(), name="playback-key"),
    re_path(r"^playback/(?P<token>[^/]+)/heartbeats/?$", viewer_views.HeartbeatView.as_view(),
            name="playback-heartbeats"),
    path("", include("apps.api.v1.messaging.urls")),
    # The filesystem storage's part URLs (S3's are presigned URLs of the bucket).
    path("uploads/parts/<str:token>", upload_part, name="video-upload-part"),
    # "complete" as S3 and most upload APIs spell it, without the router's trailing slash.
    re_path(r"^lectures/(?P<lecture_pk>[0-9a-f-]{36})/uploads/(?P<pk>[0-9a-f-]{36})/complete$",
            VideoUploadViewSet.as_view({"post": "complete"}), name="video-upload-complete-noslash"),
    *router.urls,
]
