from django.conf import settings
from django.conf.urls.static import static
from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_yasg import openapi
from drf_yasg.views import get_schema_view
from rest_framework.permissions import AllowAny

from apps.api.common.metrics import metrics

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
    path("swagger/", schema_view.with_ui("swagger", cache_timeout=0), name="swagger-ui"),
    path("redoc/", schema_view.with_ui("redoc", cache_timeout=0), name="redoc"),
    re_path(r"^swagger(?P<format>\.json|\.yaml)$", schema_view.without_ui(cache_timeout=0), name="openapi-schema"),
]

# Stored media (HLS playlists, segments, posters) from the filesystem backend, for development
# only: static() adds nothing unless DJANGO_DEBUG=1. Production serves S3 through a CDN.
if settings.MEDIA_STORAGE == "filesystem":
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
