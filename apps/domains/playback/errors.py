"""What the playback services refuse, each with a message a person can act on. The API
turns them into answers in apps/api/common/errors.py."""


class PlaybackError(Exception):
    """Base of the refusals below."""


class VideoNotPlayable(PlaybackError):
    """A session was asked for a video that is not ready (409)."""


class InvalidViewer(PlaybackError):
    """The viewer id is empty, too long or has characters outside its alphabet (400)."""


class SessionLimitReached(PlaybackError):
    """The viewer already holds as many live sessions as the policy allows (409)."""

    def __init__(self, message: str, live_sessions: list):
        super().__init__(message)
        self.live_sessions = live_sessions


class SessionRefused(PlaybackError):
    """The token names no usable session: forged, expired, revoked, evicted, lapsed, or
    used for another video or tenant (403)."""


class HeartbeatRejected(PlaybackError):
    """A heartbeat whose ranges or position cannot be true (400); nothing was recorded."""


class HeartbeatOutOfOrder(PlaybackError):
    """A heartbeat whose sequence was already accepted: a repeat or a late one (409). A
    player that lost count (a reloaded page) goes on above last_sequence."""

    def __init__(self, message: str, last_sequence: int):
        super().__init__(message)
        self.last_sequence = last_sequence
