"""The API's HTTP refusals, and the one place where a service's refusal becomes one.

Views let the domain's exceptions propagate; REST_FRAMEWORK["EXCEPTION_HANDLER"] is
exception_handler() below, which turns each into its answer (ANSWERS: status, body and,
for a 503, Retry-After) and hands it to DRF's own handler. Field-level input errors stay
with the serializers (400). 400, 401, 403, 404 and 405 otherwise come from DRF.
"""

import functools
from collections.abc import Callable

from rest_framework import status as http
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.queues import QueueUnavailable as JobNotQueued

# The header a client retries a send with (the messaging views read it; a 503 names it).
IDEMPOTENCY_HEADER = "Idempotency-Key"


class PayloadTooLarge(APIException):
    status_code = http.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class NotAVideo(APIException):
    status_code = http.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "not_a_video"


class Conflict(APIException):
    status_code = http.HTTP_409_CONFLICT
    default_code = "conflict"


class PaymentRequired(APIException):
    status_code = http.HTTP_402_PAYMENT_REQUIRED
    default_code = "payment_required"


class Unprocessable(APIException):
    status_code = http.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


class TooManyInProgress(APIException):
    status_code = http.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_in_progress"


class QueueUnavailable(APIException):
    status_code = http.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"
    wait = 5  # DRF sends it as Retry-After


class KeyUnavailable(APIException):
    status_code = http.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "key_unavailable"


class StorageUnavailable(APIException):
    status_code = http.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "storage_unavailable"
    wait = 5


def with_body(kind: type[APIException], body: dict) -> APIException:
    """An answer whose JSON body is `body` as it is (APIException would make every value a string)."""
    answer = kind()
    answer.detail = body
    return answer


def _not_queued(exc: JobNotQueued) -> APIException:
    from apps.domains.lectures.models import LectureVideo
    from apps.support.messaging.models import MessageBatch

    record = exc.record
    if isinstance(record, MessageBatch):
        detail = ("the messaging queue is unavailable; nothing was sent and nothing was charged" if exc.cancelled
                  else f"the messaging queue is unavailable; retry with the same {IDEMPOTENCY_HEADER}")
        return with_body(QueueUnavailable, {"detail": detail, "batch_id": str(record.id)})
    if isinstance(record, LectureVideo):
        return QueueUnavailable(f"video {record.id} is stored but could not be queued; try again later")
    return QueueUnavailable(f"AI job {record.id} is recorded but could not be queued; try again later")


@functools.cache
def _answers() -> list[tuple[type | tuple[type, ...], Callable[[Exception], APIException]]]:
    # Imported on first use, not at import: the services import models, which need the app
    # registry ready. Built once.
    from apps.api.v1.playback.data import session_data
    from apps.domains.lectures.content_keys import ContentKeyUnavailable
    from apps.domains.playback import errors as playback
    from apps.domains.playback.delivery import NoSuchRendition
    from apps.support.ai.services import uploads as ai_uploads
    from apps.support.messaging import credit_services
    from apps.support.messaging.services import batches
    from apps.support.video.services import direct_uploads

    return [
        (JobNotQueued, _not_queued),
        (credit_services.InsufficientCredits,
         lambda e: with_body(PaymentRequired, {"detail": "insufficient credits", "balance": e.balance,
                                               "cost": e.cost})),
        (batches.IdempotencyConflict,
         lambda e: with_body(Unprocessable, {"detail": str(e), "batch_id": str(e.batch.id)})),
        (batches.BatchRequestError, lambda e: with_body(ValidationError, e.errors)),
        (ai_uploads.JobRejected, lambda e: ValidationError({"file": [str(e)]})),
        (direct_uploads.UploadTooLarge, lambda e: PayloadTooLarge(str(e))),
        (direct_uploads.NotAVideo, lambda e: NotAVideo(str(e))),
        (direct_uploads.TooManyUploads, lambda e: TooManyInProgress(str(e))),
        ((direct_uploads.UploadBusy, direct_uploads.UploadClosed), lambda e: Conflict(str(e))),
        (direct_uploads.StorageUnavailable,
         lambda e: StorageUnavailable(f"the storage did not answer: {e}; try again later")),
        (direct_uploads.UploadRefused, lambda e: ValidationError({"detail": str(e)})),
        (playback.VideoNotPlayable, lambda e: Conflict(str(e))),
        (playback.InvalidViewer, lambda e: ValidationError({"viewer": [str(e)]})),
        (playback.SessionLimitReached,
         lambda e: with_body(Conflict, {"detail": str(e),
                                        "live_sessions": [session_data(None, s) for s in e.live_sessions]})),
        (playback.SessionRefused, lambda e: PermissionDenied(str(e))),
        (playback.HeartbeatRejected, lambda e: ValidationError({"detail": str(e)})),
        (playback.HeartbeatOutOfOrder,
         lambda e: with_body(Conflict, {"detail": str(e), "last_sequence": e.last_sequence})),
        (NoSuchRendition, lambda e: NotFound(str(e))),
        # The operator's configuration, not the viewer: the key was sealed with a key-encryption
        # key this server does not hold (VIDEO_KEY_ENCRYPTION_KEYS differs from the worker's).
        (ContentKeyUnavailable, lambda e: KeyUnavailable(f"the video's key cannot be opened: {e}")),
    ]


def answer_for(exc: Exception) -> APIException | None:
    """The HTTP answer to one of the domain's refusals; None for anything else."""
    for kinds, answer in _answers():
        if isinstance(exc, kinds):
            return answer(exc)
    return None


def exception_handler(exc, context):
    return drf_exception_handler(answer_for(exc) or exc, context)
