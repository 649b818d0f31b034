"""Shared by the video support tests: a tenant's lecture, a stored upload, a job for it, and
what a player does with an encrypted ladder (fetch the key, decrypt the segments)."""

import re
import threading
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.files import File
from django.core.files.storage import storages

from apps.core.queues import JobContext
from apps.core.services.api_keys import create_tenant
from apps.domains.lectures import content_keys, keys, services
from apps.domains.lectures.models import Lecture, LectureVideo
from apps.shared.contracts import VideoTranscodeMessage


def lecture(slug: str = "daechi") -> Lecture:
    tenant = create_tenant(name=slug.title(), slug=slug)
    return services.create_lecture(tenant=tenant, title="Calculus I")


def stored_video(lecture: Lecture, path: Path, extension: str = "mp4") -> LectureVideo:
    """A video as the API leaves it: the file in storage, the row "queued"."""
    video_id = uuid.uuid4()
    key = keys.source_key(tenant_id=lecture.tenant_id, lecture_id=lecture.id, video_id=video_id,
                          extension=extension)
    with open(path, "rb") as handle:
        stored = storages["default"].save(key, File(handle, name=path.name))
    video = services.create_video(lecture=lecture, video_id=video_id, source_key=stored,
                                  original_filename=path.name, size_bytes=path.stat().st_size, container="mp4")
    return services.mark_queued(video=video)


def message_for(video: LectureVideo) -> VideoTranscodeMessage:
    return VideoTranscodeMessage(job_id=video.job_id, tenant_id=video.tenant_id, video_id=video.id,
                                 source_key=video.source_key)


def context_for(message: VideoTranscodeMessage, cancelled: threading.Event | None = None) -> JobContext:
    return JobContext(job_id=message.job_id, tenant_id=message.tenant_id, trace_id=message.trace_id,
                      kind=message.kind.value, worker_id="test", receive_count=1, attempt=1, taken_over=False,
                      cancelled=cancelled or threading.Event())


def content_key(video: LectureVideo) -> bytes:
    """The 16-byte key of a ready video, as the API opens it for a playback session."""
    return content_keys.unseal(video.content_key_sealed, video_id=video.id)


def playable_copy(playlist: Path, key: bytes, directory: Path) -> Path:
    """A copy of a stored media playlist in `directory` whose key URI names a file holding
    `key` and whose segments are the stored ones (absolute paths): what ffmpeg can play
    without the API that serves the key. The stored files are left as they are."""
    directory.mkdir(parents=True, exist_ok=True)
    # ffmpeg's HLS demuxer opens a local file, the key included, only if its name ends in a
    # media extension (its allowed_extensions).
    key_file = directory / "content-key.ts"
    key_file.write_bytes(key)
    lines = []
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXT-X-KEY:"):
            lines.append(line.replace('URI="key"', f'URI="{key_file}"'))
        elif line and not line.startswith("#"):
            lines.append(str(playlist.parent / line))
        else:
            lines.append(line)
    copy = directory / playlist.name
    copy.write_text("\n".join(lines) + "\n")
    return copy


def playlist_iv(playlist: Path) -> bytes:
    """The IV=0x... of a media playlist's #EXT-X-KEY."""
    return bytes.fromhex(re.search(r"^#EXT-X-KEY:.*,IV=0x([0-9a-fA-F]{32})", playlist.read_text(), re.MULTILINE)
                         .group(1))


def decrypt_segment(data: bytes, *, key: bytes, iv: bytes) -> bytes:
    """HLS AES-128: AES-128-CBC over the whole segment, PKCS#7 padded."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    return unpadder.update(padded) + unpadder.finalize()
