import itertools
import uuid

import pytest

from apps.core.services.api_keys import create_tenant
from apps.core.status_machine import InvalidTransition
from apps.domains.lectures import selectors, services, upload_status
from apps.domains.lectures.models import VideoUpload

ALLOWED = {
    (upload_status.UPLOADING, upload_status.COMPLETING),
    (upload_status.UPLOADING, upload_status.ABORTED),
    (upload_status.COMPLETING, upload_status.COMPLETED),
    (upload_status.COMPLETING, upload_status.UPLOADING),
    (upload_status.COMPLETING, upload_status.ABORTED),
}
ALL = [upload_status.UPLOADING, upload_status.COMPLETING, upload_status.COMPLETED, upload_status.ABORTED]


@pytest.mark.parametrize("current, new", list(itertools.product(ALL, ALL)))
def test_only_these_transitions_exist(current, new):
    if (current, new) in ALLOWED:
        upload_status.MACHINE.check(current, new)
    else:
        with pytest.raises(InvalidTransition, match=f"from '{current}' to '{new}'"):
            upload_status.MACHINE.check(current, new)


@pytest.fixture
def upload(db):
    tenant = create_tenant(name="Daechi", slug="daechi")
    lecture = services.create_lecture(tenant=tenant, title="Algebra")
    return services.create_upload(lecture=lecture, video_id=uuid.uuid4(), filename="week1.mp4",
                                  content_type="video/mp4", size_bytes=11 * 2**20, part_size=5 * 2**20,
                                  part_count=3, storage="filesystem", storage_key="k/source")


def test_two_completions_racing_on_one_upload_cannot_both_start(upload):
    other = VideoUpload.objects.get(pk=upload.pk)
    services.start_completing(upload=upload)
    with pytest.raises(InvalidTransition, match="'completing'"):
        services.start_completing(upload=other)


def test_declared_checksums_merge_and_a_later_one_replaces_an_earlier(upload):
    stale = VideoUpload.objects.get(pk=upload.pk)  # as a second request saw the row
    services.declare_part_md5s(upload=upload, md5s={1: "a", 2: "b"})
    services.declare_part_md5s(upload=stale, md5s={3: "d"})
    services.declare_part_md5s(upload=upload, md5s={2: "c"})
    assert selectors.declared_md5s(upload=upload) == {1: "a", 2: "c", 3: "d"}


def test_an_aborted_upload_stays_aborted(upload):
    services.mark_upload_aborted(upload=upload, reason="aborted by the client")
    assert services.mark_upload_aborted(upload=upload, reason="again").failure_reason == "aborted by the client"
    with pytest.raises(InvalidTransition):
        services.start_completing(upload=upload)
