from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.support.messaging"
    label = "messaging"
    verbose_name = "Messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apps.core.queues import dead_letters
        from apps.support.messaging.services.dead_letters import KIND

        dead_letters.register(KIND)  # what `manage dlq` knows of send jobs
