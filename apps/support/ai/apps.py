from django.apps import AppConfig


class AISupportConfig(AppConfig):
    """Installed in the API for its management commands (reembed_questions); it has no models."""

    name = "apps.support.ai"
    label = "ai_support"
    verbose_name = "AI support"
