"""Sessions, their tokens and the concurrent-viewer policy, with a clock moved by hand."""

import pytest
from django.core import signing
from django.test import override_settings

from apps.domains.playback import selectors, services, status, tokens
from apps.domains.playback.errors import InvalidViewer, SessionLimitReached, SessionRefused, VideoNotPlayable
from apps.domains.playback.tests.conftest import make_video


def start(video, clock, viewer="s-17", **kw):
    return services.create_session(video=video, viewer_id=viewer, viewer_label="김민준", now=clock.now, **kw)


def test_a_token_opens_its_own_session_only(video, clock):
    session = start(video, clock)
    token = tokens.issue(session)
    assert selectors.session_for_token(token, now=clock.now).pk == session.pk
    assert session.viewer_label == "김민준" and session.viewer.external_id == "s-17"


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # forged signature
    lambda t: t[: len(t) // 2],  # truncated
    lambda t: "",
    lambda t: "x" * 5000,
    lambda t: signing.dumps(["a", "b", "c", 1], key="another-key", salt=tokens.SALT),
])
def test_forged_or_truncated_tokens_are_refused(video, clock, mangle):
    token = tokens.issue(start(video, clock))
    with pytest.raises(SessionRefused):
        selectors.session_for_token(mangle(token), now=clock.now)


def test_a_token_naming_another_video_is_refused(video, tenant, clock):
    other = make_video(tenant)
    session = start(video, clock)
    session.video_id = other.id  # a token claiming the same session for video B
    forged = tokens.issue(session)
    with pytest.raises(SessionRefused, match="no session of this video"):
        selectors.session_for_token(forged, now=clock.now)


def test_signing_keys_rotate(video, clock):
    with override_settings(PLAYBACK_SIGNING_KEY="old-key"):
        token = tokens.issue(start(video, clock))
    with override_settings(PLAYBACK_SIGNING_KEY="new-key", PLAYBACK_SIGNING_KEY_FALLBACKS=["old-key"]):
        assert selectors.session_for_token(token, now=clock.now)
    with override_settings(PLAYBACK_SIGNING_KEY="new-key", PLAYBACK_SIGNING_KEY_FALLBACKS=[]):
        with pytest.raises(SessionRefused, match="signature"):
            selectors.session_for_token(token, now=clock.now)


@override_settings(PLAYBACK_LIVE_TIMEOUT_SECONDS=3600)
def test_expiry(video, clock):
    session = start(video, clock, ttl_seconds=600)
    token = tokens.issue(session)
    services.record_heartbeat(session=session, sequence=1, ranges=[], position=0, now=clock.advance(30))
    clock.advance(569)
    assert selectors.session_for_token(token, now=clock.now)
    clock.advance(1)
    with pytest.raises(SessionRefused, match="expired"):
        selectors.session_for_token(token, now=clock.now)


@override_settings(PLAYBACK_LIVE_TIMEOUT_SECONDS=60)
def test_a_session_without_heartbeats_lapses(video, clock):
    session = start(video, clock)
    token = tokens.issue(session)
    clock.advance(59)
    assert selectors.session_for_token(token, now=clock.now)
    clock.advance(1)
    with pytest.raises(SessionRefused, match="lapsed"):
        selectors.session_for_token(token, now=clock.now)
    assert selectors.session_state(session, now=clock.now) == selectors.LAPSED


def test_revoked_sessions_are_dead_at_once(video, clock):
    session = start(video, clock)
    token = tokens.issue(session)
    services.revoke_session(session=session, now=clock.now)
    services.revoke_session(session=session, now=clock.now)  # repeating it is a no-op
    with pytest.raises(SessionRefused, match="revoked"):
        selectors.session_for_token(token, now=clock.now)


@override_settings(PLAYBACK_MAX_SESSIONS_PER_VIEWER=2, PLAYBACK_ON_LIMIT="refuse")
def test_refuse_beyond_the_limit_lists_the_live_sessions(video, clock):
    first, second = start(video, clock), start(video, clock)
    with pytest.raises(SessionLimitReached) as refused:
        start(video, clock)
    assert {s.pk for s in refused.value.live_sessions} == {first.pk, second.pk}
    start(video, clock, viewer="s-18")  # another viewer is not affected
    services.revoke_session(session=first, now=clock.now)
    start(video, clock)  # a revoked session frees its place


@override_settings(PLAYBACK_MAX_SESSIONS_PER_VIEWER=1, PLAYBACK_ON_LIMIT="refuse", PLAYBACK_LIVE_TIMEOUT_SECONDS=60)
def test_a_lapsed_session_no_longer_counts(video, clock):
    start(video, clock)
    clock.advance(61)  # the first player was closed without a word
    start(video, clock)


@override_settings(PLAYBACK_MAX_SESSIONS_PER_VIEWER=2, PLAYBACK_ON_LIMIT="evict_oldest")
def test_evict_the_oldest(video, clock):
    first = start(video, clock)
    clock.advance(1)
    second = start(video, clock)
    clock.advance(1)
    third = start(video, clock)  # the viewer opens a third device
    first.refresh_from_db()
    assert first.status == status.EVICTED
    with pytest.raises(SessionRefused, match="another device"):
        selectors.session_for_token(tokens.issue(first), now=clock.now)
    assert [s.pk for s in selectors.live_sessions(viewer=second.viewer, now=clock.now)] == [second.pk, third.pk]


def test_a_tenants_policy_overrides_the_defaults(video, tenant, clock):
    policy = services.update_policy(tenant=tenant, max_sessions_per_viewer=1, on_limit="evict_oldest")
    assert policy.overridden == ("max_sessions_per_viewer", "on_limit")
    first = start(video, clock)
    start(video, clock)
    first.refresh_from_db()
    assert first.status == status.EVICTED
    back = services.update_policy(tenant=tenant, max_sessions_per_viewer=None, on_limit=None)
    assert back.overridden == () and back.on_limit == "refuse"


def test_only_ready_videos(tenant, clock):
    with pytest.raises(VideoNotPlayable, match="processing"):
        start(make_video(tenant, ready=False), clock)


@pytest.mark.parametrize("viewer", ["", " ", "a b", "학생", "a/b", "../x", "a\nb", "x" * 129, "-lead", "<script>"])
def test_viewer_ids_with_odd_characters_are_refused(video, clock, viewer):
    with pytest.raises(InvalidViewer):
        start(video, clock, viewer=viewer)


def test_viewer_ids_an_academy_uses(video, clock):
    for viewer in ("2026-0117", "kim.minjun@example.com", "f3b1c0de-1a2b-4c3d-9e8f-001122334455", "A" * 128):
        assert start(video, clock, viewer=viewer).viewer.external_id == viewer
