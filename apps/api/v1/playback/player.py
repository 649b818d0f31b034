"""The player page at /play/{token}: hls.js, the session's stream, heartbeats, a watermark.

Everything it loads comes from the API itself (/play/assets/...): hls.js is the npm
package's dist/hls.min.js, fetched at build time by a repository rule and pinned by its
integrity hash (WORKSPACE: npm_hls_js), copied beside this module. The asset URLs carry
their content's hash, so browsers may keep them for a year. A token that names no live
session gets the page's refusal (403) instead of a player.
"""

import functools
import hashlib
import html
from pathlib import Path

from django.core.files.storage import storages
from django.http import Http404, HttpResponse
from django.template import engines
from django.urls import reverse
from django.views.decorators.http import require_safe

from apps.api.v1.playback.data import player_info
from apps.domains.playback import selectors
from apps.domains.playback.errors import SessionRefused

# Not resolve(): under Bazel the sources are links, and the generated hls.min.js sits beside
# their links, not beside the files they point at.
ASSETS_DIR = Path(__file__).parent / "player"
ASSETS = {
    "hls.min.js": "text/javascript; charset=utf-8",
    "player.js": "text/javascript; charset=utf-8",
    "player.css": "text/css; charset=utf-8",
}


@functools.cache
def _asset(name: str) -> tuple[bytes, str]:
    body = (ASSETS_DIR / name).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


@functools.cache
def _template():
    return engines["django"].from_string((ASSETS_DIR / "player.html").read_text(encoding="utf-8"))


def _asset_url(name: str) -> str:
    return f"{reverse('playback-asset', kwargs={'name': name})}?v={_asset(name)[1]}"


@functools.cache
def _media_origin() -> str:
    # Where segments come from when that is not the API itself (S3, a CDN).
    url = storages["default"].url("probe")
    if "://" not in url:
        return ""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _policy() -> str:
    media = f"'self' blob: {_media_origin()}".strip()
    return (f"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            f"media-src {media}; connect-src 'self' {_media_origin()}".strip()
            + "; worker-src 'self' blob:; base-uri 'none'; form-action 'none'")


@require_safe
def player_page(request, token: str):
    try:
        session = selectors.session_for_token(token)
    except SessionRefused as exc:
        page = (f'<!doctype html><html lang="ko"><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>재생할 수 없습니다</title>'
                f"<p>재생할 수 없습니다: {html.escape(str(exc))}</p></html>")
        return HttpResponse(page, status=403, headers={"Cache-Control": "no-store"})
    info = player_info(request, token, session)
    body = _template().render({
        "token": token,
        "session": info,
        "hls_js_url": _asset_url("hls.min.js"),
        "player_js_url": _asset_url("player.js"),
        "player_css_url": _asset_url("player.css"),
    }, request)
    return HttpResponse(body, headers={"Cache-Control": "no-store", "Content-Security-Policy": _policy(),
                                       "Referrer-Policy": "no-referrer"})


@require_safe
def player_asset(request, name: str):
    if name not in ASSETS:
        raise Http404("no such asset")
    body, _ = _asset(name)
    return HttpResponse(body, content_type=ASSETS[name],
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})
