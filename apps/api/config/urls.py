from django.conf import settings
from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_yasg import openapi
from drf_yasg.views import get_schema_view
from rest_framework.permissions import AllowAny

from apps.api.common.media import hls_file
from apps.api.common.metrics import metrics
from apps.api.v1.playback.player import player_asset, player_page

schema_view = get_schema_view(
    openapi.Info(title="academy API", default_version="v1", description="Lectures, AI jobs and messaging."),
    public=True,
    permission_classes=[AllowAny],
    authentication_classes=[],
)


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Prometheus's scrape target; a 404 unless API_METRICS_ENABLED=1 (apps/api/common/metrics.py).
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include("apps.api.v1.urls")),
    # The player page a playback session's player_url names, and its assets.
    path("play/assets/<str:name>", player_asset, name="playback-asset"),
    path("play/<str:token>", player_page, name="playback-player"),
    path("swagger/", schema_view.with_ui("swagger", cache_timeout=0), name="swagger-ui"),
    path("redoc/", schema_view.with_ui("redoc", cache_timeout=0), name="redoc"),
    re_path(r"^swagger(?P<format>\.json|\.yaml)$", schema_view.without_ui(cache_timeout=0), name="openapi-schema"),
]

# The filesystem backend's HLS files (segments, playlists, posters; never an uploaded source),
# with DJANGO_DEBUG=1 or without: nothing else can serve them. With S3, the bucket or its CDN does.
if settings.MEDIA_STORAGE == "filesystem" and settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", hls_file, name="hls-file"))
