"""Heartbeats into watch progress (진도율): what counts, what is refused, and that a refusal
changes nothing."""

import pytest
from django.test import override_settings

from apps.domains.playback import selectors, services
from apps.domains.playback.errors import HeartbeatOutOfOrder, HeartbeatRejected, SessionRefused
from apps.domains.playback.models import WatchProgress


@pytest.fixture
def session(video, clock):
    return services.create_session(video=video, viewer_id="s-17", viewer_label="김민준", now=clock.now)


def beat(session, clock, sequence, played, position=None, rate=1.0, after=5.0):
    return services.record_heartbeat(session=session, sequence=sequence, ranges=played, rate=rate,
                                     position=played[-1][1] if position is None and played else (position or 0),
                                     now=clock.advance(after))


def snapshot(session):
    progress = WatchProgress.objects.filter(viewer=session.viewer).first()
    session.refresh_from_db()
    return (progress and (progress.ranges, progress.covered_seconds, progress.position_seconds),
            session.last_sequence, session.last_heartbeat_at)


def test_played_ranges_become_covered_time_and_a_resume_position(session, clock):
    beat(session, clock, 1, [[0, 5]])
    beat(session, clock, 2, [[5, 10]])
    progress = beat(session, clock, 3, [[10, 12.5]], after=2.5)
    assert progress.ranges == [[0.0, 12.5]] and progress.covered_seconds == 12.5
    assert progress.position_seconds == 12.5
    assert selectors.percent(progress) == pytest.approx(2.1)


def test_rewatching_does_not_count_twice_and_seeking_covers_nothing(session, clock):
    beat(session, clock, 1, [[0, 5]])
    beat(session, clock, 2, [[0, 5]])  # back to the start, the same five seconds again
    progress = beat(session, clock, 3, [[300, 304]], position=304)  # a seek to 5:00, then four seconds
    assert progress.covered_seconds == 9.0
    assert progress.ranges == [[0.0, 5.0], [300.0, 304.0]]


def test_a_repeated_or_late_heartbeat_changes_nothing(session, clock):
    beat(session, clock, 1, [[0, 5]])
    beat(session, clock, 2, [[5, 10]])
    before = snapshot(session)
    with pytest.raises(HeartbeatOutOfOrder, match="already accepted"):
        beat(session, clock, 2, [[10, 15]])  # a replay of #2 with other ranges
    with pytest.raises(HeartbeatOutOfOrder):
        beat(session, clock, 1, [[0, 5]])  # #1 arriving late
    assert snapshot(session) == before
    beat(session, clock, 4, [[10, 15]])  # a lost #3 is fine: the numbers only rise


@pytest.mark.parametrize("played, message", [
    ([[5, 2]], "goes backwards"),
    ([[-1, 3]], "outside the video"),
    ([[595, 700]], "outside the video"),
    ([["a", 3]], "each range"),
    ([[1, 2, 3]], "each range"),
    ([[float("nan"), 3]], "each range"),
    ([[0, 3]] * 51, "at most 50"),
])
def test_impossible_ranges_are_refused(session, clock, played, message):
    before = snapshot(session)
    with pytest.raises(HeartbeatRejected, match=message):
        services.record_heartbeat(session=session, sequence=1, ranges=played, position=1, now=clock.advance(5))
    assert snapshot(session) == before


def test_a_heartbeat_cannot_claim_more_than_the_time_that_passed(session, clock):
    with pytest.raises(HeartbeatRejected, match="only 5.0 s passed"):
        beat(session, clock, 1, [[0, 600]])  # "I watched the whole lecture" five seconds in
    progress = beat(session, clock, 2, [[0, 19]], rate=2.0)  # 2x for 10 s: 20 s of video is fine
    assert progress.covered_seconds == 19.0


def test_position_and_rate_are_checked(session, clock):
    with pytest.raises(HeartbeatRejected, match="position"):
        beat(session, clock, 1, [[0, 1]], position=9999)
    with pytest.raises(HeartbeatRejected, match="rate"):
        beat(session, clock, 1, [[0, 1]], rate=0)


@override_settings(PLAYBACK_COMPLETION_PERCENT=90)
def test_completion_at_the_tenants_threshold(session, tenant, clock):
    services.update_policy(tenant=tenant, completion_percent=50)
    progress = None
    for n in range(1, 31):  # 30 heartbeats of 10 s: 300 s of a 600 s video
        progress = beat(session, clock, n, [[(n - 1) * 10, n * 10]], after=10)
        assert (progress.completed_at is not None) == (n >= 30)
    assert selectors.percent(progress) == 50.0


def test_progress_spans_sessions_and_devices(video, session, clock):
    beat(session, clock, 1, [[0, 5]])
    services.revoke_session(session=session, now=clock.now)
    later = services.create_session(video=video, viewer_id="s-17", now=clock.advance(3600))
    progress = beat(later, clock, 1, [[3, 8]])
    assert progress.covered_seconds == 8.0 and progress.ranges == [[0.0, 8.0]]


def test_an_ended_session_takes_no_heartbeats(session, clock):
    services.revoke_session(session=session, now=clock.now)
    with pytest.raises(SessionRefused, match="revoked"):
        beat(session, clock, 1, [[0, 5]])
