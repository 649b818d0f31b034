"""The filesystem storage's HLS files under MEDIA_URL, in production as in development.

With MEDIA_STORAGE=filesystem (the embedded default) nothing but the API can serve what
the video worker stored, so it serves what a player needs and nothing more: segments
(encrypted for every video made since encryption), playlists and posters. Uploaded
sources (the unencrypted originals) are never served. With S3 the bucket (or a CDN in
front of it) serves them and this view is not routed.
"""

import posixpath

from django.core.files.storage import storages
from django.http import Http404
from django.views.static import serve

SERVED = {".ts": "public, max-age=86400", ".jpg": "public, max-age=86400", ".m3u8": "no-cache"}


def hls_file(request, path: str):
    normalised = posixpath.normpath(path).lstrip("/")
    extension = posixpath.splitext(normalised)[1].lower()
    if extension not in SERVED or "/hls/" not in f"/{normalised}" or normalised.startswith(".."):
        raise Http404("not an HLS file")
    response = serve(request, normalised, document_root=storages["default"].location)
    response["Cache-Control"] = SERVED[extension]
    return response
