"""A lecture video's HLS content key, and how it is kept sealed in the database.

    content_key = new_content_key()                          # ContentKey(key=16 bytes, iv=16 bytes)
    sealed = seal(content_key.key, video_id=video.id)        # the video worker, before it transcodes
    key = unseal(video.content_key_sealed, video_id=video.id) # the API, for a playback session

The video worker encrypts every segment with AES-128 (HLS METHOD=AES-128) under one random
key per video; the database keeps that key only sealed, with AES-256-GCM under a
key-encryption key (KEK) from settings.VIDEO_KEY_ENCRYPTION_KEYS, so a copy of the
database alone does not open the media. Sealed format (53 bytes):

    version (1: 0x01) | KEK fingerprint (8: sha256(KEK)[:8]) | nonce (12, random) | ciphertext + tag (32)

The video's id (its 16 UUID bytes) is the associated data: a sealed key copied to another
video's row does not open there. The fingerprint says which KEK sealed a key, so after a
rotation (new KEK first in the setting, old ones after it) old keys still open, and one
sealed with a KEK no longer configured fails with ContentKeyUnavailable naming it.

With VIDEO_KEY_ENCRYPTION_KEYS unset, the one KEK is derived from SECRET_KEY (HKDF-SHA256),
so the API and the worker agree whenever they share DJANGO_SECRET_KEY.
"""

import hashlib
import os
import uuid
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = 1
KEY_BYTES = 16  # AES-128, what HLS players decrypt
IV_BYTES = 16
FINGERPRINT_BYTES = 8
NONCE_BYTES = 12
SEALED_BYTES = 1 + FINGERPRINT_BYTES + NONCE_BYTES + KEY_BYTES + 16  # 16: the GCM tag
_DERIVATION_INFO = b"academy lecture video key-encryption key v1"


class ContentKeyUnavailable(Exception):
    """A sealed content key that cannot be opened with the configured key-encryption keys."""


@dataclass(frozen=True)
class ContentKey:
    key: bytes = field(repr=False)  # never in a log line or a traceback's locals by accident
    iv: bytes

    @property
    def iv_hex(self) -> str:
        """32 hex digits, as LectureVideo.content_key_iv and the playlists' IV=0x... carry it."""
        return self.iv.hex()


def new_content_key() -> ContentKey:
    return ContentKey(key=os.urandom(KEY_BYTES), iv=os.urandom(IV_BYTES))


def seal(key: bytes, *, video_id) -> bytes:
    """`key` sealed with the first key-encryption key, bound to `video_id`."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"a content key is {KEY_BYTES} bytes, not {len(key)}")
    kek = _key_encryption_keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    return bytes([VERSION]) + fingerprint(kek) + nonce + AESGCM(kek).encrypt(nonce, key, _associated(video_id))


def unseal(sealed: bytes, *, video_id) -> bytes:
    """The content key in `sealed` (bytes or the memoryview a BinaryField may return)."""
    sealed = bytes(sealed)
    if len(sealed) != SEALED_BYTES or sealed[0] != VERSION:
        raise ContentKeyUnavailable(f"the content key of video {video_id} is not a sealed key this version "
                                    f"knows ({len(sealed)} bytes, version {sealed[:1].hex() or 'none'})")
    wanted = sealed[1:1 + FINGERPRINT_BYTES]
    nonce = sealed[1 + FINGERPRINT_BYTES:1 + FINGERPRINT_BYTES + NONCE_BYTES]
    kek = next((k for k in _key_encryption_keys() if fingerprint(k) == wanted), None)
    if kek is None:
        raise ContentKeyUnavailable(f"the content key of video {video_id} was sealed with key-encryption key "
                                    f"{wanted.hex()}{_which(wanted)}, which VIDEO_KEY_ENCRYPTION_KEYS does not hold")
    try:
        return AESGCM(kek).decrypt(nonce, sealed[1 + FINGERPRINT_BYTES + NONCE_BYTES:], _associated(video_id))
    except InvalidTag:
        raise ContentKeyUnavailable(f"the content key stored for video {video_id} does not open: it was sealed "
                                    f"for another video, or altered") from None


def fingerprint(kek: bytes) -> bytes:
    """The first 8 bytes of the KEK's SHA-256: names a KEK without giving it away."""
    return hashlib.sha256(kek).digest()[:FINGERPRINT_BYTES]


def sealing_problem() -> str | None:
    """Why keys sealed here would not open on the API, or None: outside DEBUG, with no
    VIDEO_KEY_ENCRYPTION_KEYS, the one KEK would come from the development SECRET_KEY,
    which a deployed API does not hold."""
    if settings.DEBUG or settings.VIDEO_KEY_ENCRYPTION_KEYS or settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return None
    return ("set VIDEO_KEY_ENCRYPTION_KEYS to the API's value (or DJANGO_SECRET_KEY to the API's, from which "
            "it is derived): the keys this worker seals must open on the API")


def _key_encryption_keys() -> list[bytes]:
    # Read at each call, not at import: tests and a reloaded configuration see their own.
    return list(settings.VIDEO_KEY_ENCRYPTION_KEYS) or [_derived_from_secret_key()]


def _derived_from_secret_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
    return hkdf.derive(settings.SECRET_KEY.encode())


def _which(wanted: bytes) -> str:
    if wanted == fingerprint(_derived_from_secret_key()):
        return " (the one derived from DJANGO_SECRET_KEY, used while VIDEO_KEY_ENCRYPTION_KEYS was unset)"
    return ""


def _associated(video_id) -> bytes:
    return uuid.UUID(str(video_id)).bytes
