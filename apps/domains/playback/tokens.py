"""Playback tokens: what a viewer's browser holds instead of an API key.

    token = tokens.issue(session)                   # "<payload>:<signature>", URL-safe
    claims = tokens.verify(token)                   # Claims(session_id, video_id, tenant_id, expires)

A token is Django's signing.dumps() of the session's, video's and tenant's ids and the
session's expiry, HMAC-SHA256 signed with PLAYBACK_SIGNING_KEY under a salt of its own (a
token is no other signed value of the platform, and no other signed value is a token).
Keys rotate as Django's SECRET_KEY_FALLBACKS do: PLAYBACK_SIGNING_KEY_FALLBACKS still verify.

A token only says which session it names. verify() refuses a bad signature or an expiry
already past before the database is asked; the caller then loads the session and checks
that its row agrees (tenant, video, status, liveness): nothing the client sends besides
the token is trusted, and a revoked or evicted session's token is dead at once.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from django.conf import settings
from django.core import signing

SALT = "academy.playback.session"
# A signed value is about 200 characters; anything far longer is not a token.
MAX_TOKEN_CHARS = 512


class InvalidToken(Exception):
    """The token is malformed, forged, signed with a retired key, or expired."""


@dataclass(frozen=True)
class Claims:
    session_id: uuid.UUID
    video_id: uuid.UUID
    tenant_id: uuid.UUID
    expires: datetime


def _key() -> str:
    return settings.PLAYBACK_SIGNING_KEY or settings.SECRET_KEY


def issue(session) -> str:
    payload = [session.id.hex, session.video_id.hex, session.tenant_id.hex, int(session.expires_at.timestamp())]
    return signing.dumps(payload, key=_key(), salt=SALT, compress=False)


def verify(token: str, *, now: datetime | None = None) -> Claims:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken("not a playback token")
    try:
        payload = signing.loads(token, key=_key(), fallback_keys=settings.PLAYBACK_SIGNING_KEY_FALLBACKS, salt=SALT)
    except signing.BadSignature:
        raise InvalidToken("the playback token's signature is not valid") from None
    try:
        session_hex, video_hex, tenant_hex, expires = payload
        claims = Claims(session_id=uuid.UUID(hex=session_hex), video_id=uuid.UUID(hex=video_hex),
                        tenant_id=uuid.UUID(hex=tenant_hex),
                        expires=datetime.fromtimestamp(int(expires), tz=timezone.utc))
    except (TypeError, ValueError):
        raise InvalidToken("not a playback token") from None
    if claims.expires <= (now or datetime.now(timezone.utc)):
        raise InvalidToken("the playback session has expired")
    return claims
