"""SOLAPI, with the official SDK's (solapi 5.0.3) models and signer.

    MESSAGING_BACKEND=solapi SOLAPI_API_KEY=... SOLAPI_API_SECRET=... [SOLAPI_BASE_URL=...]

A send is one POST {base}/messages/v4/send-many/detail carrying every message of a chunk,
`showMessageList` on so the answer lists the accepted messages too. The body is the SDK's
SendMessageRequest, the Authorization header the SDK's Authenticator (HMAC-SHA256 over
date + salt), the answer parsed into the SDK's SendMessageResponse. The call itself goes
through this module's own httpx client, not the SDK's fetcher, because the fetcher throws
the HTTP status away (every 4xx becomes Exception(errorCode, errorMessage), a 4xx whose
body is not JSON a JSONDecodeError) and waits a fixed 5 s: here the status decides, and
SOLAPI_TIMEOUT_SECONDS bounds the wait. See docs/solapi.md for the sources.

What SOLAPI answers, and what the worker makes of it:

  200                               per message: messageList (accepted, statusCode 2000),
                                    failedMessageList (refused, with SOLAPI's code: 1062
                                    sender not registered, 1011 malformed number, 1060
                                    blocked, 1030 balance, 1043 template mismatch, ...)
  403 RequestTimeTooSkewed          nothing was sent and a retry can send it: ProviderUnavailable
  403 DuplicatedSignature           (the job is retried with a backoff; no recipient fails).
  429, TooManyRequests              A skewed clock is logged as such: keep workers on NTP.
  403 InvalidAPIKey,                nothing was sent; the credentials are wrong: retried too,
      SignatureDoesNotMatch         so after the fix (or `manage dlq redrive`) it is sent
  other 4xx (402 NotEnoughBalance,  ProviderRejected: the request as a whole is refused for
      400 ValidationError, ...)     good; its recipients fail, their credits are released
  5xx, a timeout, a cut connection  ProviderOutcomeUnknown: it may have been processed;
                                    the worker looks before sending anything again
  connection refused                ProviderUnavailable

Matching the answer to the recipients does not rely on SOLAPI echoing customFields: a
refused message is found by its number (unique within a batch), the accepted ones by the
order of the request. Custom fields, where SOLAPI echoes them, are a cross-check; when
they disagree, the outcome is treated as unknown and reconciled from SOLAPI's list.

lookup() pages through GET {base}/messages/v4/list-old for the sender and the attempt's
time window, and keeps the messages whose custom fields name the attempt, or, where a
message carries none, whose number is one of the attempt's.
"""

import logging
import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx
import pydantic
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from solapi.lib.authenticator import Authenticator
from solapi.model import KakaoOption, MessageType, RequestMessage
from solapi.model.request.messages.get_messages import GetMessagesRequest
from solapi.model.request.send_message_request import SendMessageRequest
from solapi.model.response.messages.get_messages import GetMessagesResponse
from solapi.model.response.send_message_response import SendMessageResponse

from apps.support.messaging.backends.base import (
    ATTEMPT_FIELD,
    RECIPIENT_FIELD,
    BaseBackend,
    OutgoingMessage,
    ProviderMessage,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    SendResult,
)

log = logging.getLogger("academy.messaging.solapi")

# SOLAPI status codes: 2000 accepted, 3000 handed to the carrier, 4000 delivered.
ACCEPTED_CODES = frozenset({"2000", "3000", "4000"})
# Request refusals after which a later try can succeed with nothing changed on our side.
RETRY_LATER_CODES = frozenset({"RequestTimeTooSkewed", "DuplicatedSignature", "TooManyRequests"})
# Refusals of our credentials: nothing was sent; the job retries (and gives up visibly).
CREDENTIAL_CODES = frozenset({"InvalidAPIKey", "SignatureDoesNotMatch"})
_TYPES = {"sms": MessageType.SMS, "lms": MessageType.LMS, "alimtalk": MessageType.ATA}
LOOKUP_PAGE = 500
LOOKUP_MAX_PAGES = 200


class SolapiBackend(BaseBackend):
    name = "solapi"
    # SOLAPI's send-many takes up to 10,000 messages per request.
    max_batch_size = 10_000

    def __init__(self, *, api_key: str | None = None, api_secret: str | None = None, base_url: str | None = None,
                 timeout: float | None = None):
        api_key = api_key or settings.SOLAPI_API_KEY
        api_secret = api_secret or settings.SOLAPI_API_SECRET
        if not api_key or not api_secret:
            raise ImproperlyConfigured("the solapi messaging backend needs SOLAPI_API_KEY and SOLAPI_API_SECRET")
        self.authenticator = Authenticator(api_key, api_secret)
        self.base_url = (base_url or settings.SOLAPI_BASE_URL).rstrip("/")
        self.timeout = timeout or settings.SOLAPI_TIMEOUT_SECONDS

    # --- sending -----------------------------------------------------------------------

    def send(self, messages: list[OutgoingMessage], *, attempt_id: uuid.UUID) -> SendResult:
        request = SendMessageRequest(messages=[self._request_message(m, attempt_id) for m in messages],
                                     show_message_list=True, allow_duplicates=False)
        data = self._call("POST", "/messages/v4/send-many/detail",
                          json=request.model_dump(exclude_none=True, by_alias=True))
        try:
            response = SendMessageResponse.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ProviderOutcomeUnknown(f"SOLAPI answered in an unexpected shape: {exc}") from exc
        return SendResult(group_id=response.group_info.group_id, messages=match_answer(messages, response))

    def _request_message(self, message: OutgoingMessage, attempt_id: uuid.UUID) -> RequestMessage:
        fields = {
            "to": message.to,
            "from": message.sender,
            "type": _TYPES[message.type],
            "text": message.text,
            "auto_type_detect": False,
            "custom_fields": {ATTEMPT_FIELD: str(attempt_id), RECIPIENT_FIELD: message.recipient_id},
        }
        if message.type == "alimtalk":
            fields["kakao_options"] = KakaoOption(pf_id=message.pf_id, template_id=message.template_id,
                                                  variables=message.variables or None, disable_sms=True)
        elif message.type == "lms" and message.subject:
            fields["subject"] = message.subject
        return RequestMessage(**fields)

    # --- reconciling -------------------------------------------------------------------

    def lookup(self, *, attempt_id: uuid.UUID, sender: str, since: datetime, until: datetime,
               numbers: dict[str, str] | None = None) -> list[ProviderMessage]:
        numbers = numbers or {}
        found: list[ProviderMessage] = []
        start_key = None
        wanted = str(attempt_id)
        for _ in range(LOOKUP_MAX_PAGES):
            query = GetMessagesRequest(from_=sender, start_date=_iso(since - timedelta(minutes=1)),
                                       end_date=_iso(until + timedelta(minutes=1)), limit=LOOKUP_PAGE,
                                       start_key=start_key)
            data = self._call("GET", "/messages/v4/list-old?" + urlencode(
                query.model_dump(exclude_none=True, by_alias=True)), lookup=True)
            try:
                page = GetMessagesResponse.model_validate(data)
            except pydantic.ValidationError as exc:
                raise ProviderOutcomeUnknown(f"SOLAPI answered a lookup in an unexpected shape: {exc}") from exc
            for message_id, item in page.message_list.items():
                fields = item.custom_fields or {}
                to = _digits(item.to if isinstance(item.to, str) else "")
                if fields.get(ATTEMPT_FIELD):
                    if fields[ATTEMPT_FIELD] != wanted:
                        continue
                    recipient_id = fields.get(RECIPIENT_FIELD) or numbers.get(to, "")
                elif to in numbers:  # SOLAPI kept no custom fields: the number identifies it
                    recipient_id = numbers[to]
                else:
                    continue
                found.append(ProviderMessage(
                    recipient_id=recipient_id, accepted=(item.status_code or "") in ACCEPTED_CODES,
                    message_id=message_id, status_code=item.status_code or "", status_message="found by lookup",
                    to=to,
                ))
            if not page.next_key or page.next_key == start_key:
                break
            start_key = page.next_key
        return found

    # --- the HTTP call -----------------------------------------------------------------

    def _call(self, method: str, path: str, *, json=None, lookup: bool = False) -> dict:
        what = "message lookup" if lookup else "send"
        headers = {"Authorization": self.authenticator.get_auth_info(), "Content-Type": "application/json"}
        try:
            with httpx.Client(timeout=self.timeout) as client:
                response = client.request(method, self.base_url + path, headers=headers, json=json)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ProviderUnavailable(f"SOLAPI at {self.base_url} cannot be reached: {exc}") from exc
        except httpx.HTTPError as exc:  # read/write timeouts, broken connections
            raise ProviderOutcomeUnknown(f"SOLAPI {what} interrupted ({type(exc).__name__}: {exc})") from exc
        if response.status_code >= 500:
            # The request may have been processed: never resend without looking first.
            raise ProviderOutcomeUnknown(f"SOLAPI {what} failed: HTTP {response.status_code}: "
                                         f"{response.text[:300]}", code=f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise refusal(response.status_code, *_error_of(response))
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderOutcomeUnknown(f"SOLAPI's {what} answer is not JSON: {response.text[:300]}") from exc


def refusal(status: int, code: str, message: str) -> Exception:
    """The exception for a 4xx answer: nothing was sent; whether to try again depends on why."""
    detail = f"{code}: {message}" if message else code
    if code == "RequestTimeTooSkewed":
        log.error("SOLAPI refused this worker's clock: it differs from SOLAPI's by 15 minutes or more; "
                  "keep worker hosts on NTP (retrying later)")
        return ProviderUnavailable(f"SOLAPI refused the request's time ({detail}); retrying later", code=code)
    if code in RETRY_LATER_CODES or status == 429:
        return ProviderUnavailable(f"SOLAPI asked to try again later (HTTP {status} {detail})", code=code)
    if code in CREDENTIAL_CODES:
        return ProviderUnavailable(f"SOLAPI refused the credentials ({detail}): check SOLAPI_API_KEY and "
                                   "SOLAPI_API_SECRET; nothing was sent", code=code)
    return ProviderRejected(f"SOLAPI refused the request: {detail}", code=code)


def match_answer(messages: list[OutgoingMessage], response: SendMessageResponse) -> list[ProviderMessage]:
    """One ProviderMessage per message sent, in the request's order (see the module doc)."""
    by_number = {m.to: m for m in messages}
    refused = {}
    for item in response.failed_message_list or []:
        message = by_number.get(_digits(item.to or ""))
        if message is None or _disagrees(item.custom_fields, message):
            raise ProviderOutcomeUnknown(f"SOLAPI refused a message this request cannot place (to {item.to!r})")
        refused[message.recipient_id] = ProviderMessage(
            recipient_id=message.recipient_id, accepted=False, message_id=item.message_id or "",
            status_code=item.status_code, status_message=item.status_message, to=message.to)
    listed = response.message_list or []
    # The accepted list may hold the accepted messages alone, or every message with its code.
    in_order = messages if len(listed) == len(messages) else [m for m in messages if m.recipient_id not in refused]
    if len(listed) != len(in_order):
        raise ProviderOutcomeUnknown(f"SOLAPI listed {len(listed)} messages for the {len(in_order)} it accepted")
    results = dict(refused)
    for message, item in zip(in_order, listed):
        if _disagrees(item.custom_fields, message):
            raise ProviderOutcomeUnknown("SOLAPI's message list is not in the request's order")
        if message.recipient_id in refused:
            continue
        results[message.recipient_id] = ProviderMessage(
            recipient_id=message.recipient_id, accepted=item.status_code in ACCEPTED_CODES,
            message_id=item.message_id, status_code=item.status_code, status_message=item.status_message,
            to=message.to)
    return [results[m.recipient_id] for m in messages]


def _disagrees(custom_fields: dict | None, message: OutgoingMessage) -> bool:
    named = (custom_fields or {}).get(RECIPIENT_FIELD)
    return bool(named) and named != message.recipient_id


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("errorCode"):
        return str(body["errorCode"]), str(body.get("errorMessage") or "")
    return f"HTTP {response.status_code}", response.text[:300]


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
