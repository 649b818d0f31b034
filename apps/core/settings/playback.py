"""Protected playback settings (sessions, tokens, heartbeats, progress), read by the API.
Every value comes from the environment.

  PLAYBACK_SIGNING_KEY            signs playback tokens (default: DJANGO_SECRET_KEY)
  PLAYBACK_SIGNING_KEY_FALLBACKS  comma-separated earlier keys, still accepted while their
                                  tokens live (rotation: move the old key here, set a new one)
  PLAYBACK_SESSION_TTL_SECONDS    a session's life when the request names none (default 14400)
  PLAYBACK_SESSION_MAX_TTL_SECONDS  the longest a request may ask for (default 86400)
  PLAYBACK_HEARTBEAT_SECONDS      how often the player sends a heartbeat (default 10)
  PLAYBACK_LIVE_TIMEOUT_SECONDS   a session whose player has sent nothing for this long is
                                  no longer live: it stops counting against the viewer's
                                  limit and can no longer fetch playlists or keys (default 60)
  PLAYBACK_MAX_SESSIONS_PER_VIEWER  live sessions one viewer may hold (default 2)
  PLAYBACK_ON_LIMIT               refuse (409, the live sessions listed) or evict_oldest
                                  (default refuse)
  PLAYBACK_COMPLETION_PERCENT     covered share of a video that marks it completed (default 90)
The last three are each tenant's defaults; a tenant overrides them through the API
(/api/v1/tenant/playback-policy/).
"""

import os

from django.core.exceptions import ImproperlyConfigured

_ON_LIMIT = ("refuse", "evict_oldest")


def _int(name: str, default: int, *, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be between {low} and {high}, not {value}")
    return value


PLAYBACK_SIGNING_KEY = os.environ.get("PLAYBACK_SIGNING_KEY", "")
PLAYBACK_SIGNING_KEY_FALLBACKS = [k.strip() for k in os.environ.get("PLAYBACK_SIGNING_KEY_FALLBACKS", "").split(",")
                                  if k.strip()]
PLAYBACK_SESSION_TTL_SECONDS = _int("PLAYBACK_SESSION_TTL_SECONDS", 4 * 3600, low=60, high=7 * 86400)
PLAYBACK_SESSION_MAX_TTL_SECONDS = _int("PLAYBACK_SESSION_MAX_TTL_SECONDS", 86400, low=60, high=7 * 86400)
PLAYBACK_HEARTBEAT_SECONDS = _int("PLAYBACK_HEARTBEAT_SECONDS", 10, low=1, high=300)
PLAYBACK_LIVE_TIMEOUT_SECONDS = _int("PLAYBACK_LIVE_TIMEOUT_SECONDS", 60, low=5, high=86400)
PLAYBACK_MAX_SESSIONS_PER_VIEWER = _int("PLAYBACK_MAX_SESSIONS_PER_VIEWER", 2, low=1, high=100)
PLAYBACK_ON_LIMIT = os.environ.get("PLAYBACK_ON_LIMIT", "").strip() or "refuse"
if PLAYBACK_ON_LIMIT not in _ON_LIMIT:
    raise ImproperlyConfigured(f"PLAYBACK_ON_LIMIT must be one of {', '.join(_ON_LIMIT)}, not {PLAYBACK_ON_LIMIT!r}")
PLAYBACK_COMPLETION_PERCENT = _int("PLAYBACK_COMPLETION_PERCENT", 90, low=1, high=100)
if PLAYBACK_LIVE_TIMEOUT_SECONDS <= PLAYBACK_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("PLAYBACK_LIVE_TIMEOUT_SECONDS must be longer than PLAYBACK_HEARTBEAT_SECONDS")
