from django.apps import AppConfig


class PlaybackConfig(AppConfig):
    name = "apps.domains.playback"
    label = "playback"
    verbose_name = "Playback"
