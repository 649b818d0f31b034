from apps.api.v1.routers import router

urlpatterns = router.urls
