"""The API's HTTP refusals beyond DRF's own (400, 401, 403, 404, 405 come from DRF): one
class per answer, shared by every area's views, each with the code clients may test."""

from rest_framework import status as http
from rest_framework.exceptions import APIException


class PayloadTooLarge(APIException):
    status_code = http.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class NotAVideo(APIException):
    status_code = http.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "not_a_video"


class Conflict(APIException):
    status_code = http.HTTP_409_CONFLICT
    default_code = "conflict"


class TooManyInProgress(APIException):
    status_code = http.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_in_progress"


class QueueUnavailable(APIException):
    status_code = http.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"


class StorageUnavailable(APIException):
    status_code = http.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "storage_unavailable"
