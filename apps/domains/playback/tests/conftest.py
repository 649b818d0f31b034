import uuid
from datetime import datetime, timedelta, timezone

import pytest

from apps.core.models import Tenant
from apps.domains.lectures import status as video_status
from apps.domains.lectures.models import Lecture, LectureVideo

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a class starts


class Clock:
    """The time every service call of a test is given (`now=`), moved by hand."""

    def __init__(self):
        self.now = T0

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock():
    return Clock()


def make_video(tenant, *, duration=600.0, ready=True, sealed=b"sealed") -> LectureVideo:
    lecture = Lecture.objects.create(tenant=tenant, title="미적분 1강")
    video = LectureVideo.objects.create(
        tenant=tenant, lecture=lecture, source_key="k", duration_seconds=duration, width=1280, height=720,
        status=video_status.READY if ready else video_status.PROCESSING,
        hls_master_key="lectures/x/hls/master.m3u8" if ready else "", job_id=uuid.uuid4(),
        content_key_sealed=sealed, content_key_iv="00" * 16 if sealed else "")
    return video


@pytest.fixture
def tenant(db):
    return Tenant.objects.create(name="해법수학학원", slug=f"t{uuid.uuid4().hex[:8]}")


@pytest.fixture
def video(tenant):
    return make_video(tenant)
