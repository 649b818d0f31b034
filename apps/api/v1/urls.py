from django.urls import include, path

from apps.api.v1.routers import router
from apps.api.v1.tenants.views import CurrentTenantView

urlpatterns = [
    path("tenant/", CurrentTenantView.as_view(), name="current-tenant"),
    path("", include("apps.api.v1.messaging.urls")),
    *router.urls,
]
