"""What a viewer's player fetches with its token, and nothing else: no API key, no cookie.

    GET  /api/v1/playback/{token}/                     the session, for a player (JSON)
    GET  /api/v1/playback/{token}/master.m3u8          the master playlist
    GET  /api/v1/playback/{token}/{rendition}/index.m3u8   a media playlist, its key URI ../key
    GET  /api/v1/playback/{token}/key                  the video's 16-byte AES-128 key
    POST /api/v1/playback/{token}/heartbeats           what was played; answers the progress

Every request loads the session the token names and checks it is live (tokens.py,
selectors.session_for_token): a forged, expired, revoked, evicted or lapsed session, or a
token of another video, is a 403 with the reason and no bytes. Playlists and the key are
never cached (Cache-Control: no-store); the segments they point at are encrypted and are
the storage's own, cacheable, URLs.
"""

from django.http import HttpResponse
from drf_yasg.utils import swagger_auto_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.common.errors import PayloadTooLarge
from apps.api.v1.playback.data import player_info
from apps.api.v1.playback.serializers import MAX_HEARTBEAT_BYTES, HeartbeatAnswerSerializer, HeartbeatSerializer
from apps.domains.playback import delivery, selectors, services

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def session(self, token):
        return selectors.session_for_token(token)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


class SessionInfoView(TokenView):
    """The session as a player needs it: what to play, where to resume, whose watermark."""

    def get(self, request, token):
        return _no_store(Response(player_info(request, token, self.session(token))))


class MasterPlaylistView(TokenView):
    def get(self, request, token):
        session = self.session(token)
        return _no_store(HttpResponse(delivery.master_playlist(video=session.video), content_type=PLAYLIST_TYPE))


class MediaPlaylistView(TokenView):
    def get(self, request, token, rendition):
        session = self.session(token)
        try:
            text = delivery.media_playlist(video=session.video, rendition=rendition)
        except delivery.NoSuchRendition as exc:
            raise NotFound(str(exc)) from None
        return _no_store(HttpResponse(text, content_type=PLAYLIST_TYPE))


class KeyView(TokenView):
    def get(self, request, token):
        session = self.session(token)
        if not session.video.is_protected:
            raise NotFound("the video was made before encryption: it has no key")
        return _no_store(HttpResponse(delivery.content_key(video=session.video),
                                      content_type="application/octet-stream"))


class HeartbeatView(TokenView):
    """What the player played since its previous heartbeat; answers the viewer's progress."""

    @swagger_auto_schema(request_body=HeartbeatSerializer, responses={200: HeartbeatAnswerSerializer})
    def post(self, request, token):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_HEARTBEAT_BYTES:
            raise PayloadTooLarge(f"a heartbeat is at most {MAX_HEARTBEAT_BYTES} bytes, not {length}")
        session = self.session(token)
        incoming = HeartbeatSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        beat = incoming.validated_data
        progress = services.record_heartbeat(session=session, sequence=beat["sequence"], ranges=beat["ranges"],
                                             position=beat["position"], rate=beat["rate"])
        return _no_store(Response(HeartbeatAnswerSerializer({
            "covered_seconds": progress.covered_seconds,
            "duration_seconds": session.video.duration_seconds or 0.0,
            "percent": selectors.percent(progress),
            "completed": progress.completed_at is not None,
            "position_seconds": progress.position_seconds,
        }).data))
