"""The one place that says how a playback session's status may change.

    active -> revoked     the academy revoked it (DELETE .../playback-sessions/{id}/)
    active -> evicted     the viewer started one session too many and the policy evicts the oldest

Expiry is not a status: a session past its expires_at, or whose player stopped sending
heartbeats, is simply no longer live (selectors.session_state says which). Nothing leaves
revoked or evicted.
"""

from apps.core.status_machine import InvalidTransition, StatusMachine  # noqa: F401 (re-exported)

ACTIVE = "active"
REVOKED = "revoked"
EVICTED = "evicted"

MACHINE = StatusMachine("a playback session", {
    ACTIVE: frozenset({REVOKED, EVICTED}),
    REVOKED: frozenset(),
    EVICTED: frozenset(),
})
