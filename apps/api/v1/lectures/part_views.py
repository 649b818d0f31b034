"""The filesystem storage's part endpoint: what a presigned UploadPart URL is on S3.

    PUT /api/v1/uploads/parts/<token>      Content-MD5, Content-Length, the part's bytes
        200 {"part_number", "etag"} with an ETag header (the quoted hex MD5, as S3 answers)

No API key: the token (part_tokens.py) is the permission, for one part of one upload of one
tenant, with one Content-MD5, for VIDEO_UPLOAD_URL_TTL_SECONDS. The body streams to disk a
chunk at a time and is checked against Content-MD5 on the way, so the API's memory stays
flat whatever the part's size. A plain Django view: DRF's parsers would read the body.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.domains.lectures import selectors
from apps.support.video.services import direct_uploads, part_tokens


def _refusal(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


@csrf_exempt
def upload_part(request, token: str):
    if request.method == "OPTIONS":
        response = JsonResponse({"detail": "PUT a part here, with its Content-MD5 and Content-Length"})
        response["Allow"] = "PUT, OPTIONS"
        return response
    if request.method != "PUT":
        response = _refusal(405, "method_not_allowed", f"{request.method} is not allowed here: PUT a part")
        response["Allow"] = "PUT, OPTIONS"
        return response
    try:
        grant = part_tokens.verify(token)
    except part_tokens.ExpiredPartToken as exc:
        return _refusal(403, "expired", str(exc))
    except part_tokens.InvalidPartToken as exc:
        return _refusal(403, "invalid_token", str(exc))
    content_md5 = request.headers.get("Content-MD5", "")
    if content_md5 != grant.content_md5:
        return _refusal(400, "bad_content_md5", "Content-MD5 must be the one this URL was issued for")
    try:
        length = int(request.headers.get("Content-Length", ""))
    except ValueError:
        return _refusal(411, "length_required", "send the part with a Content-Length")
    upload = selectors.upload_for_part(upload_id=grant.upload_id, tenant_id=grant.tenant_id)
    if upload is None:
        return _refusal(404, "no_such_upload", "the upload does not exist")
    try:
        etag = direct_uploads.receive_part(upload=upload, number=grant.part_number, content_md5=content_md5,
                                           body=request, length=length)
    except direct_uploads.BadDigest as exc:
        return _refusal(400, "bad_digest", str(exc))
    except (direct_uploads.UploadBusy, direct_uploads.UploadClosed) as exc:
        return _refusal(409, "upload_closed", str(exc))
    except direct_uploads.InvalidUpload as exc:
        return _refusal(400, "invalid_part", str(exc))
    response = JsonResponse({"part_number": grant.part_number, "etag": etag})
    response["ETag"] = etag
    return response
