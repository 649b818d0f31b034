from django.apps import AppConfig


class AIJobsConfig(AppConfig):
    name = "apps.domains.ai"
    label = "ai_jobs"
    verbose_name = "AI jobs"
