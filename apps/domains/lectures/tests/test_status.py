import itertools
import uuid

import pytest

from apps.core.services.api_keys import create_tenant
from apps.domains.lectures import selectors, services, status
from apps.domains.lectures.models import LectureVideo
from apps.domains.lectures.status import InvalidTransition, check_transition

ALLOWED = {
    (status.UPLOADED, status.QUEUED),
    (status.QUEUED, status.PROCESSING),
    (status.PROCESSING, status.READY),
    (status.PROCESSING, status.FAILED),
    (status.QUEUED, status.FAILED),  # its job gave up before it started
    (status.FAILED, status.QUEUED),  # manage dlq redrive
}
ALL = [status.UPLOADED, status.QUEUED, status.PROCESSING, status.READY, status.FAILED]


@pytest.mark.parametrize("current, new", list(itertools.product(ALL, ALL)))
def test_only_the_documented_transitions_exist(current, new):
    if (current, new) in ALLOWED:
        check_transition(current, new)
    else:
        with pytest.raises(InvalidTransition, match=f"from '{current}' to '{new}'"):
            check_transition(current, new)


@pytest.fixture
def video(db):
    tenant = create_tenant(name="Daechi", slug="daechi")
    lecture = services.create_lecture(tenant=tenant, title="Algebra")
    return services.create_video(lecture=lecture, video_id=uuid.uuid4(), source_key="k/source.mp4",
                                 original_filename="a.mp4", size_bytes=10, container="mp4")


def test_a_video_walks_the_machine_and_stops_at_ready(video):
    assert video.status == status.UPLOADED and video.job_id
    services.mark_queued(video=video)
    services.start_processing(video=video)
    assert services.record_progress(video=video, percent=30)
    assert not services.record_progress(video=video, percent=20)  # never backwards
    services.mark_ready(video=video, renditions=[{"name": "360p"}], hls_master_key="k/hls/master.m3u8",
                        thumbnail_key="k/hls/poster.jpg")
    video.refresh_from_db()
    assert (video.status, video.progress_percent) == (status.READY, 100)
    with pytest.raises(InvalidTransition):
        services.mark_failed(video=video, reason="late")
    assert not services.record_progress(video=video, percent=50)


def test_failing_needs_processing_and_keeps_the_reason(video):
    with pytest.raises(InvalidTransition):
        services.mark_failed(video=video, reason="no")
    services.start_processing(video=video)  # uploaded passes through queued
    services.mark_failed(video=video, reason="the file has no video stream")
    video.refresh_from_db()
    assert video.status == status.FAILED and video.failure_reason == "the file has no video stream"
    services.mark_failed(video=video, reason="again")  # repeating is a no-op
    with pytest.raises(InvalidTransition):
        services.start_processing(video=video)


def test_a_stale_copy_cannot_move_a_video_someone_else_moved(video):
    services.mark_queued(video=video)
    stale = LectureVideo.objects.get(pk=video.pk)
    services.start_processing(video=video)
    services.mark_failed(video=video, reason="corrupt")
    with pytest.raises(InvalidTransition, match="from 'failed' to 'processing'"):
        services.start_processing(video=stale)
    assert LectureVideo.objects.get(pk=video.pk).status == status.FAILED


def test_queued_after_the_worker_already_started_is_harmless(video):
    stale = LectureVideo.objects.get(pk=video.pk)
    services.start_processing(video=video)
    assert services.mark_queued(video=stale).status == status.PROCESSING


def test_selectors_stay_inside_a_tenant(video):
    other = create_tenant(name="Other", slug="other")
    assert selectors.lecture_get(tenant=other, lecture_id=video.lecture_id) is None
    assert selectors.video_for_job(video_id=video.id, tenant_id=other.id) is None
    assert selectors.video_for_job(video_id=video.id, tenant_id=video.tenant_id) == video
    assert selectors.playback_url(video=video) is None
