"""VIDEO_KEY_ENCRYPTION_KEYS -> the key-encryption keys that seal lecture videos' content keys.

    VIDEO_KEY_ENCRYPTION_KEYS="<new key>,<old key>"      # base64 (standard or urlsafe) of 32 bytes each

The first key seals, every key opens: to rotate, put a new key first and keep the old one
after it until every video sealed with it has been re-sealed or is gone. Unset gives an
empty list; apps/domains/lectures/content_keys.py then derives one key from SECRET_KEY.

Parsed when the settings load, so a bad value stops the API and the worker at start-up
(as a bad DATABASE_URL does), not a transcode at its end. Standard library only: every
process loads these settings.
"""

import base64
import binascii

VARIABLE = "VIDEO_KEY_ENCRYPTION_KEYS"
KEY_BYTES = 32  # AES-256


class KeyEncryptionKeysError(ValueError):
    pass


def key_encryption_keys(value: str) -> list[bytes]:
    """The comma-separated keys in `value`, in order; [] for an empty value."""
    keys = []
    for position, item in enumerate((part.strip() for part in value.split(",")), start=1):
        if not item:
            if value.strip():
                raise KeyEncryptionKeysError(f"{VARIABLE}: key {position} is empty; give comma-separated keys "
                                             f"with nothing between two commas")
            continue
        key = _decode(item, position)
        if key in keys:
            raise KeyEncryptionKeysError(f"{VARIABLE}: key {position} repeats an earlier key")
        keys.append(key)
    return keys


def _decode(item: str, position: int) -> bytes:
    # Standard (+/) and urlsafe (-_) alphabets both; padding may be left off.
    text = item.replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyEncryptionKeysError(f"{VARIABLE}: key {position} is not base64; make one with "
                                     f"`openssl rand -base64 32`") from None
    if len(key) != KEY_BYTES:
        raise KeyEncryptionKeysError(f"{VARIABLE}: key {position} is {len(key)} bytes; each key must be "
                                     f"{KEY_BYTES} bytes (`openssl rand -base64 32`)")
    return key
