from django.urls import include, path, re_path

from apps.api.v1.lectures.part_views import upload_part
from apps.api.v1.lectures.uploads import VideoUploadViewSet
from apps.api.v1.routers import router
from apps.api.v1.tenants.views import CurrentTenantView

urlpatterns = [
    path("tenant/", CurrentTenantView.as_view(), name="current-tenant"),
    path("", include("apps.api.v1.messaging.urls")),
    # The filesystem storage's part URLs (S3's are presigned URLs of the bucket).
    path("uploads/parts/<str:token>", upload_part, name="video-upload-part"),
    # "complete" as S3 and most upload APIs spell it, without the router's trailing slash.
    re_path(r"^lectures/(?P<lecture_pk>[0-9a-f-]{36})/uploads/(?P<pk>[0-9a-f-]{36})/complete$",
            VideoUploadViewSet.as_view({"post": "complete"}), name="video-upload-complete-noslash"),
    *router.urls,
]
