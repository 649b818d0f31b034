"""What a playback session's player fetches: the stored playlists, rewritten, and the key.

    master_playlist(video=video)                          # as stored: variants are relative
    media_playlist(video=video, rendition="720p")         # key URI and segment URLs rewritten
    content_key(video=video)                              # the 16 bytes, unsealed

The player reaches everything through the session's URLs under /api/v1/playback/{token}/:
the master's variant URIs are relative (`720p/index.m3u8`), and so is the key URI this
module writes into each media playlist (`../key`), so both resolve under the token. The
segments, encrypted, are the storage's own URLs (a CDN in front of S3, or the API's
/media/ for the filesystem backend), and may be cached anywhere.

Nothing here depends on the session, so the rewritten playlists are kept in memory per
video and rendition (a ready video's files never change): a class starting at once reads
each stored playlist once per process. With signed S3 URLs (AWS_QUERYSTRING_AUTH=1) the
cached copy is remade every SIGNED_URL_REUSE_SECONDS, well inside the URLs' own expiry.
"""

import functools
import re
import time

from django.conf import settings
from django.core.files.storage import storages

from apps.domains.lectures import content_keys
from apps.domains.lectures.models import LectureVideo

KEY_URI = "../key"
SIGNED_URL_REUSE_SECONDS = 300
_KEY_URI_ATTRIBUTE = re.compile(r'URI="[^"]*"')


class NoSuchRendition(LookupError):
    pass


def master_playlist(*, video: LectureVideo) -> str:
    return _stored_text(video.hls_master_key, _version(video))


def media_playlist(*, video: LectureVideo, rendition: str) -> str:
    playlist_key = next((r.get("playlist_key") for r in video.renditions if r.get("name") == rendition), None)
    if not playlist_key:
        raise NoSuchRendition(f"the video has no rendition {rendition!r}")
    return _rewritten(playlist_key, _version(video), _url_epoch())


def content_key(*, video: LectureVideo) -> bytes:
    """The video's AES-128 key; ContentKeyUnavailable when no configured key opens it."""
    return content_keys.unseal(bytes(video.content_key_sealed), video_id=video.id)


def _version(video: LectureVideo) -> str:
    return f"{video.id}:{video.finished_at.isoformat() if video.finished_at else ''}"


def _url_epoch() -> int:
    # Unsigned URLs never change; signed ones are remade every few minutes.
    return int(time.time() // SIGNED_URL_REUSE_SECONDS) if getattr(settings, "AWS_QUERYSTRING_AUTH", False) else 0


@functools.lru_cache(maxsize=512)
def _stored_text(key: str, version: str) -> str:
    with storages["default"].open(key, "rb") as handle:
        return handle.read().decode()


@functools.lru_cache(maxsize=512)
def _rewritten(playlist_key: str, version: str, url_epoch: int) -> str:
    directory = playlist_key.rsplit("/", 1)[0]
    storage = storages["default"]
    lines = []
    for line in _stored_text(playlist_key, version).splitlines():
        stripped = line.strip()
        if stripped.startswith("#EXT-X-KEY:"):
            line = _KEY_URI_ATTRIBUTE.sub(f'URI="{KEY_URI}"', stripped)
        elif stripped and not stripped.startswith("#"):
            line = storage.url(f"{directory}/{stripped}")
        lines.append(line)
    return "\n".join(lines) + "\n"
