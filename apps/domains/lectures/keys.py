"""Where a lecture video's files live in storage. Every key of one video shares a prefix:

    lectures/<tenant>/<lecture>/videos/<video>/source.<ext>        the upload through the API
    lectures/<tenant>/<lecture>/videos/<video>/source              a direct upload (its container is
                                                                    known only once it is complete)
    lectures/<tenant>/<lecture>/videos/<video>/hls/master.m3u8      written last
    lectures/<tenant>/<lecture>/videos/<video>/hls/<rendition>/...  playlists and segments
    lectures/<tenant>/<lecture>/videos/<video>/hls/poster.jpg
"""

import uuid


def video_prefix(*, tenant_id: uuid.UUID, lecture_id: uuid.UUID, video_id: uuid.UUID) -> str:
    return f"lectures/{tenant_id}/{lecture_id}/videos/{video_id}"


def source_key(*, tenant_id: uuid.UUID, lecture_id: uuid.UUID, video_id: uuid.UUID, extension: str) -> str:
    return f"{video_prefix(tenant_id=tenant_id, lecture_id=lecture_id, video_id=video_id)}/source.{extension}"


def direct_upload_key(*, tenant_id: uuid.UUID, lecture_id: uuid.UUID, video_id: uuid.UUID) -> str:
    return f"{video_prefix(tenant_id=tenant_id, lecture_id=lecture_id, video_id=video_id)}/source"


def hls_prefix(video) -> str:
    return f"{video_prefix(tenant_id=video.tenant_id, lecture_id=video.lecture_id, video_id=video.id)}/hls"
