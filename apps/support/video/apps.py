from django.apps import AppConfig


class VideoSupportConfig(AppConfig):
    """Installed in the API for its management commands (uploads_cleanup, and dlq's view of
    transcode jobs); it has no models."""

    name = "apps.support.video"
    label = "video_support"
    verbose_name = "Video support"

    def ready(self):
        from apps.core.queues import dead_letters
        from apps.support.video.services.dead_letters import KIND

        dead_letters.register(KIND)  # what `manage dlq` knows of these jobs
