"""The filesystem storage's answer to a presigned S3 URL: a token that lets its bearer PUT
one part of one upload of one tenant, with one Content-MD5, until it expires.

    token = sign(tenant_id=..., upload_id=..., part_number=3, content_md5="...")
    grant = verify(token)            # PartGrant, or raises InvalidPartToken

Signed with Django's signing (HMAC-SHA256 keyed by SECRET_KEY and a salt of its own), so
nothing the client sends besides the token decides what it may write; it is valid for
VIDEO_UPLOAD_URL_TTL_SECONDS.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

SALT = "academy.video-upload-part"


@dataclass(frozen=True)
class PartGrant:
    tenant_id: uuid.UUID
    upload_id: uuid.UUID
    part_number: int
    content_md5: str


class InvalidPartToken(Exception):
    pass


class ExpiredPartToken(InvalidPartToken):
    pass


def sign(*, tenant_id: uuid.UUID, upload_id: uuid.UUID, part_number: int, content_md5: str) -> str:
    payload = {"t": str(tenant_id), "u": str(upload_id), "n": part_number, "m": content_md5}
    return signing.TimestampSigner(salt=SALT).sign_object(payload, compress=True)


def verify(token: str) -> PartGrant:
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=settings.VIDEO_UPLOAD_URL_TTL_SECONDS)
    except signing.SignatureExpired as exc:
        raise ExpiredPartToken("this part URL has expired: ask for a new one") from exc
    except (signing.BadSignature, ValueError) as exc:
        raise InvalidPartToken("this part URL is not valid") from exc
    try:
        return PartGrant(uuid.UUID(payload["t"]), uuid.UUID(payload["u"]), int(payload["n"]), str(payload["m"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidPartToken("this part URL is not valid") from exc
