"""The JSON of sessions, progress and policies, as the views and refusals answer them."""

from django.conf import settings
from django.urls import reverse

from apps.api.v1.playback.serializers import SessionOutputSerializer
from apps.domains.playback import selectors, tokens


def viewer_urls(request, token: str) -> dict:
    """The URLs a viewer's player uses, all under its token."""
    def absolute(name, **kwargs):
        return request.build_absolute_uri(reverse(name, kwargs={"token": token, **kwargs}))

    return {
        "player_url": absolute("playback-player"),
        "session_url": absolute("playback-session-info"),
        "master_playlist_url": absolute("playback-master"),
        "heartbeat_url": absolute("playback-heartbeats"),
    }


# A resume point this close to the end starts the video again instead.
RESUME_END_MARGIN_SECONDS = 10


def player_info(request, token: str, session) -> dict:
    """What a player needs of a live session: what to play, where to resume, whose watermark."""
    video = session.video
    progress = selectors.progress_get(video=video, viewer=session.viewer)
    duration = video.duration_seconds or 0.0
    resume = progress.position_seconds if progress else 0.0
    if resume >= duration - RESUME_END_MARGIN_SECONDS:
        resume = 0.0
    return {
        "session_id": str(session.id),
        "video_id": str(video.id),
        "viewer_label": session.viewer_label,
        "academy_name": session.tenant.name,
        "lecture_title": video.lecture.title,
        **viewer_urls(request, token),
        "heartbeat_interval_seconds": settings.PLAYBACK_HEARTBEAT_SECONDS,
        "resume_position_seconds": resume,
        "duration_seconds": duration,
        "expires_at": session.expires_at.isoformat(),
        "protected": video.is_protected,
    }


def session_data(request, session, *, with_token: bool = False) -> dict:
    data = {
        "id": session.id,
        "video_id": session.video_id,
        "lecture_id": session.video.lecture_id,
        "viewer": session.viewer.external_id,
        "viewer_label": session.viewer_label,
        "status": session.status,
        "state": selectors.session_state(session),
        "protected": session.video.is_protected,
        "expires_at": session.expires_at,
        "created_at": session.created_at,
        "last_heartbeat_at": session.last_heartbeat_at,
        "ended_at": session.ended_at,
    }
    if with_token:
        token = tokens.issue(session)
        urls = viewer_urls(request, token)
        data.update(token=token, player_url=urls["player_url"], master_playlist_url=urls["master_playlist_url"])
    return SessionOutputSerializer(data).data


def progress_data(progress) -> dict:
    return {
        "viewer": progress.viewer.external_id,
        "viewer_label": progress.viewer.label,
        "lecture_id": progress.video.lecture_id,
        "video_id": progress.video_id,
        "duration_seconds": progress.video.duration_seconds or 0.0,
        "covered_seconds": progress.covered_seconds,
        "percent": selectors.percent(progress),
        "completed": progress.completed_at is not None,
        "completed_at": progress.completed_at,
        "position_seconds": progress.position_seconds,
        "last_watched_at": progress.updated_at,
    }


def policy_data(policy) -> dict:
    return {"max_sessions_per_viewer": policy.max_sessions_per_viewer, "on_limit": policy.on_limit,
            "completion_percent": policy.completion_percent, "overridden": list(policy.overridden)}
