"""Writes to playback sessions, viewers, policies and watch progress (the API calls them).

    session = create_session(video=video, viewer_id="student-17", viewer_label="김민준")
    progress = record_heartbeat(session=session, sequence=1, ranges=[[0, 4.9]], position=4.9, rate=1.0)
    revoke_session(session=session)

Session creation locks the viewer's row, so a viewer's live sessions are counted and the
policy applied (refuse, or evict the oldest) one request at a time. A heartbeat locks its
session's row: its sequence must be higher than the last one accepted, so a repeated or a
late heartbeat changes nothing, and its ranges are merged into the viewer's progress in
the same transaction. Every `now` argument is for tests that move the clock.
"""

import math
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.models import Tenant
from apps.domains.lectures import status as video_status
from apps.domains.lectures.models import LectureVideo
from apps.domains.playback import policy, selectors, status
from apps.domains.playback import ranges as watched
from apps.domains.playback.errors import (
    HeartbeatOutOfOrder,
    HeartbeatRejected,
    InvalidViewer,
    SessionLimitReached,
    SessionRefused,
    VideoNotPlayable,
)
from apps.domains.playback.models import PlaybackPolicy, PlaybackSession, Viewer, WatchProgress

# An academy's own ids: student numbers, UUIDs, e-mail-like handles. Nothing that needs
# escaping in a URL path, a CSV cell or a log line.
VIEWER_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~:@+-]{0,127}")
VIEWER_ID_RULE = "1 to 128 characters: letters, digits and . _ ~ : @ + - (starting with a letter or digit)"
MAX_RANGES_PER_HEARTBEAT = 50
# A played range may end this far past the probed duration (the last segment's rounding).
DURATION_TOLERANCE_SECONDS = 2.0
# What a heartbeat may claim beyond the wall time since the previous one, at its rate.
CLAIM_SLACK_FACTOR = 1.1
CLAIM_SLACK_SECONDS = 2.0
MAX_RATE = 16.0


def check_viewer_id(viewer_id: str) -> str:
    if not isinstance(viewer_id, str) or not VIEWER_ID_PATTERN.fullmatch(viewer_id):
        raise InvalidViewer(f"viewer must be {VIEWER_ID_RULE}")
    return viewer_id


# --- sessions ------------------------------------------------------------------------------

def create_session(*, video: LectureVideo, viewer_id: str, viewer_label: str = "", ttl_seconds: int | None = None,
                   now: datetime | None = None) -> PlaybackSession:
    """A new live session of `video` for the viewer, within the tenant's policy: beyond
    its limit, SessionLimitReached (refuse) or the oldest live sessions evicted."""
    now = now or timezone.now()
    if video.status != video_status.READY or not video.hls_master_key:
        raise VideoNotPlayable(f"the video is {video.status!r}; only a ready video can be played")
    check_viewer_id(viewer_id)
    ttl = ttl_seconds or settings.PLAYBACK_SESSION_TTL_SECONDS
    with transaction.atomic():
        # Found and locked in one query (a new row is this transaction's own until it commits).
        viewer, _ = Viewer.objects.select_for_update().get_or_create(tenant_id=video.tenant_id, external_id=viewer_id,
                                                                     defaults={"label": viewer_label})
        if viewer_label and viewer.label != viewer_label:
            viewer.label = viewer_label
            viewer.save(update_fields=["label", "updated_at"])
        rules = selectors.tenant_policy(tenant_id=video.tenant_id)
        live = list(selectors.live_sessions(viewer=viewer, now=now))
        excess = len(live) + 1 - rules.max_sessions_per_viewer
        if excess > 0:
            if rules.on_limit != PlaybackPolicy.OnLimit.EVICT_OLDEST:
                raise SessionLimitReached(
                    f"viewer {viewer_id!r} already has {len(live)} live playback session(s), the academy's limit; "
                    "end one (DELETE it) or wait until its player stops", live)
            for oldest in live[:excess]:
                status.MACHINE.move(oldest, status.EVICTED, ended_at=now)
        session = PlaybackSession.objects.create(
            tenant_id=video.tenant_id, video=video, viewer=viewer, viewer_label=viewer_label or viewer.label,
            expires_at=now + timedelta(seconds=ttl), last_seen_at=now)
    session.video = video
    return session


def revoke_session(*, session: PlaybackSession, now: datetime | None = None) -> PlaybackSession:
    """Ends the session at once: its token fetches nothing more. A session already ended stays as it is."""
    if session.status != status.ACTIVE:
        return session
    try:
        return status.MACHINE.move(session, status.REVOKED, ended_at=now or timezone.now())
    except status.InvalidTransition:
        session.refresh_from_db()
        return session


# --- heartbeats and progress -----------------------------------------------------------------

def record_heartbeat(*, session: PlaybackSession, sequence: int, ranges: list, position: float, rate: float = 1.0,
                     now: datetime | None = None) -> WatchProgress:
    """Merges what the player played since its previous heartbeat into the viewer's progress
    and keeps its position. Nothing changes when it is refused."""
    now = now or timezone.now()
    video = session.video
    played = _checked_ranges(ranges, duration=video.duration_seconds or 0)
    position = _checked_position(position, duration=video.duration_seconds or 0)
    if not (isinstance(rate, (int, float)) and math.isfinite(rate) and 0 < rate <= MAX_RATE):
        raise HeartbeatRejected(f"rate must be a number above 0 and at most {MAX_RATE:g}")
    with transaction.atomic():
        locked = (PlaybackSession.objects.select_for_update()
                  .only("status", "expires_at", "last_seen_at", "last_sequence", "viewer_id", "tenant_id")
                  .get(pk=session.pk))
        state = selectors.session_state(locked, now=now)
        if state != selectors.LIVE:
            raise SessionRefused(f"the playback session is {state}; heartbeats are no longer accepted")
        if sequence <= locked.last_sequence:
            raise HeartbeatOutOfOrder(f"heartbeat {sequence} is a repeat or late: heartbeat {locked.last_sequence} "
                                      "was already accepted; nothing changed", locked.last_sequence)
        # last_seen_at: the session's creation, then each accepted heartbeat.
        since = (now - locked.last_seen_at).total_seconds()
        claimed = watched.length(played)
        allowed = max(0.0, since) * max(rate, 1.0) * CLAIM_SLACK_FACTOR + CLAIM_SLACK_SECONDS
        if claimed > allowed:
            raise HeartbeatRejected(f"the ranges add up to {claimed:.1f} s of playback, but only {since:.1f} s "
                                    f"passed since the previous heartbeat at rate {rate:g}")
        progress, _ = WatchProgress.objects.select_for_update().get_or_create(
            video=video, viewer_id=locked.viewer_id, defaults={"tenant_id": locked.tenant_id})
        progress.ranges = watched.merge([*progress.ranges, *played])
        progress.covered_seconds = watched.covered(progress.ranges)
        progress.position_seconds = position
        threshold = selectors.tenant_policy(tenant_id=locked.tenant_id).completion_percent
        if progress.completed_at is None and _reaches(progress.covered_seconds, video, percent=threshold):
            progress.completed_at = now
        progress.save(update_fields=["ranges", "covered_seconds", "position_seconds", "completed_at", "updated_at"])
        PlaybackSession.objects.filter(pk=locked.pk).update(last_sequence=sequence, last_seen_at=now,
                                                            last_heartbeat_at=now, updated_at=now)
    session.last_sequence, session.last_seen_at, session.last_heartbeat_at = sequence, now, now
    progress.video = video
    return progress


def _reaches(covered_seconds: float, video: LectureVideo, *, percent: int) -> bool:
    duration = video.duration_seconds or 0
    return duration > 0 and covered_seconds * 100 >= duration * percent


def _checked_ranges(raw, *, duration: float) -> list[list[float]]:
    if not isinstance(raw, list):
        raise HeartbeatRejected("ranges must be a list of [start, end] pairs")
    if len(raw) > MAX_RANGES_PER_HEARTBEAT:
        raise HeartbeatRejected(f"a heartbeat carries at most {MAX_RANGES_PER_HEARTBEAT} ranges, not {len(raw)}")
    limit = duration + DURATION_TOLERANCE_SECONDS
    played = []
    for item in raw:
        if (not isinstance(item, (list, tuple)) or len(item) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                           for v in item)):
            raise HeartbeatRejected(f"each range must be [start, end] in seconds, not {item!r:.60}")
        start, end = float(item[0]), float(item[1])
        if end < start:
            raise HeartbeatRejected(f"the range [{start:g}, {end:g}] goes backwards")
        if start < 0 or end > limit:
            raise HeartbeatRejected(f"the range [{start:g}, {end:g}] is outside the video (0 to {duration:g} s)")
        played.append([start, min(end, duration)])
    return played


def _checked_position(position, *, duration: float) -> float:
    if not (isinstance(position, (int, float)) and not isinstance(position, bool) and math.isfinite(position)):
        raise HeartbeatRejected("position must be a number of seconds")
    if not 0 <= position <= duration + DURATION_TOLERANCE_SECONDS:
        raise HeartbeatRejected(f"position {position:g} is outside the video (0 to {duration:g} s)")
    return round(min(float(position), duration), 3)


# --- policy ----------------------------------------------------------------------------------

def update_policy(*, tenant: Tenant, **values) -> policy.Policy:
    """Sets the tenant's own values (None: back to the settings' default) and returns the
    policy in effect."""
    unknown = set(values) - set(policy.FIELDS)
    if unknown:
        raise TypeError(f"not policy fields: {sorted(unknown)}")
    row, _ = PlaybackPolicy.objects.get_or_create(tenant=tenant)
    for name, value in values.items():
        setattr(row, name, "" if value is None and name == "on_limit" else value)
    row.full_clean()
    row.save()
    return policy.effective(row)
