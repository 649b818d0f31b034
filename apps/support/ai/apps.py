from django.apps import AppConfig


class AISupportConfig(AppConfig):
    """Installed in the API for its management commands (reembed_questions, and dlq's
    view of AI jobs); it has no models."""

    name = "apps.support.ai"
    label = "ai_support"
    verbose_name = "AI support"

    def ready(self):
        from apps.core.queues import dead_letters
        from apps.support.ai.services.dead_letters import KIND

        dead_letters.register(KIND)  # what `manage dlq` knows of these jobs
