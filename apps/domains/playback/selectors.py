"""Reads of playback sessions, viewers and their progress, always within one tenant (or
the one session a token names)."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from apps.core.models import Tenant
from apps.domains.lectures.models import LectureVideo
from apps.domains.playback import policy, status, tokens
from apps.domains.playback.errors import SessionRefused
from apps.domains.playback.models import PlaybackPolicy, PlaybackSession, Viewer, WatchProgress

LIVE = "live"
EXPIRED = "expired"
LAPSED = "lapsed"

_REFUSALS = {
    EXPIRED: "the playback session has expired",
    LAPSED: "the playback session lapsed: its player sent no heartbeat for {timeout} s",
    status.REVOKED: "the playback session was revoked",
    status.EVICTED: "the playback session was ended: the viewer started playback on another device",
}


def live_timeout() -> timedelta:
    return timedelta(seconds=settings.PLAYBACK_LIVE_TIMEOUT_SECONDS)


def session_state(session: PlaybackSession, *, now: datetime | None = None) -> str:
    """live, expired, lapsed (no heartbeat for PLAYBACK_LIVE_TIMEOUT_SECONDS), revoked or evicted."""
    now = now or timezone.now()
    if session.status != status.ACTIVE:
        return session.status
    if session.expires_at <= now:
        return EXPIRED
    if session.last_seen_at <= now - live_timeout():
        return LAPSED
    return LIVE


def live_sessions(*, viewer: Viewer, now: datetime | None = None) -> QuerySet[PlaybackSession]:
    """The viewer's live sessions, oldest first."""
    now = now or timezone.now()
    return (PlaybackSession.objects.filter(viewer=viewer, status=status.ACTIVE, expires_at__gt=now,
                                           last_seen_at__gt=now - live_timeout())
            .select_related("video", "viewer").order_by("created_at"))


def session_list(*, tenant: Tenant, video: LectureVideo | None = None, viewer_external_id: str | None = None,
                 live: bool | None = None, now: datetime | None = None) -> QuerySet[PlaybackSession]:
    now = now or timezone.now()
    sessions = PlaybackSession.objects.filter(tenant=tenant).select_related("viewer", "video")
    if video is not None:
        sessions = sessions.filter(video=video)
    if viewer_external_id is not None:
        sessions = sessions.filter(viewer__external_id=viewer_external_id)
    live_filter = {"status": status.ACTIVE, "expires_at__gt": now, "last_seen_at__gt": now - live_timeout()}
    if live is True:
        sessions = sessions.filter(**live_filter)
    elif live is False:
        sessions = sessions.exclude(**live_filter)
    return sessions


def session_get(*, tenant: Tenant, session_id: uuid.UUID) -> PlaybackSession | None:
    return session_list(tenant=tenant).filter(pk=session_id).first()


def session_for_token(token: str, *, now: datetime | None = None) -> PlaybackSession:
    """The live session a viewer's token names, with its video, tenant and viewer; else
    SessionRefused saying why. The token's claims must agree with the session's row."""
    now = now or timezone.now()
    try:
        claims = tokens.verify(token, now=now)
    except tokens.InvalidToken as exc:
        raise SessionRefused(str(exc)) from None
    session = (PlaybackSession.objects.select_related("video", "tenant", "viewer")
               .filter(pk=claims.session_id).first())
    if session is None or session.video_id != claims.video_id or session.tenant_id != claims.tenant_id:
        raise SessionRefused("the playback token names no session of this video")
    if not session.tenant.is_active:
        raise SessionRefused("the academy's account is not active")
    state = session_state(session, now=now)
    if state != LIVE:
        raise SessionRefused(_REFUSALS[state].format(timeout=settings.PLAYBACK_LIVE_TIMEOUT_SECONDS))
    return session


def tenant_policy(*, tenant_id: uuid.UUID) -> policy.Policy:
    return policy.effective(PlaybackPolicy.objects.filter(tenant_id=tenant_id).first())


def viewer_get(*, tenant: Tenant, external_id: str) -> Viewer | None:
    return Viewer.objects.filter(tenant=tenant, external_id=external_id).first()


def progress_for_video(*, video: LectureVideo) -> QuerySet[WatchProgress]:
    """Every viewer's progress on the video, by viewer id."""
    return (WatchProgress.objects.filter(tenant_id=video.tenant_id, video=video)
            .select_related("viewer", "video").order_by("viewer__external_id"))


def progress_for_viewer(*, viewer: Viewer) -> QuerySet[WatchProgress]:
    """The viewer's progress on every video they watched, most recent first."""
    return (WatchProgress.objects.filter(tenant_id=viewer.tenant_id, viewer=viewer)
            .select_related("viewer", "video", "video__lecture").order_by("-updated_at"))


def progress_get(*, video: LectureVideo, viewer: Viewer) -> WatchProgress | None:
    return WatchProgress.objects.filter(video=video, viewer=viewer).first()


def percent(progress: WatchProgress) -> float:
    duration = progress.video.duration_seconds or 0
    return 0.0 if duration <= 0 else round(min(100.0, 100 * progress.covered_seconds / duration), 1)
