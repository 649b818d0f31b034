from django.apps import AppConfig


class VideoSupportConfig(AppConfig):
    """Installed in the API for its management commands (uploads_cleanup); it has no models."""

    name = "apps.support.video"
    label = "video_support"
    verbose_name = "Video support"
