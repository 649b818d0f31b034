from django.apps import AppConfig


class LecturesConfig(AppConfig):
    name = "apps.domains.lectures"
    label = "lectures"
    verbose_name = "Lectures"
