"""A tenant's playback policy: its own values where it set them, the settings' otherwise."""

from dataclasses import dataclass

from django.conf import settings

from apps.domains.playback.models import PlaybackPolicy

FIELDS = ("max_sessions_per_viewer", "on_limit", "completion_percent")


@dataclass(frozen=True)
class Policy:
    max_sessions_per_viewer: int
    on_limit: str
    completion_percent: int
    # The fields the tenant set itself (the rest are the settings' defaults).
    overridden: tuple[str, ...] = ()


def defaults() -> Policy:
    return Policy(max_sessions_per_viewer=settings.PLAYBACK_MAX_SESSIONS_PER_VIEWER,
                  on_limit=settings.PLAYBACK_ON_LIMIT, completion_percent=settings.PLAYBACK_COMPLETION_PERCENT)


def effective(row: PlaybackPolicy | None) -> Policy:
    base = defaults()
    if row is None:
        return base
    own = {name: getattr(row, name) for name in FIELDS if getattr(row, name) not in (None, "")}
    values = {name: own.get(name, getattr(base, name)) for name in FIELDS}
    return Policy(**values, overridden=tuple(own))
