"""SOLAPI through its official SDK (solapi 5.0.3).

    MESSAGING_BACKEND=solapi SOLAPI_API_KEY=... SOLAPI_API_SECRET=... [SOLAPI_BASE_URL=...]

A send is one `SolapiMessageService.send()` call: POST {base}/messages/v4/send-many/detail
with every message, `showMessageList` on so the answer lists the accepted messages too.
Each message carries custom fields naming its attempt and recipient; the answer is matched
back by them. How the SDK reports things, and what the worker makes of it:

  200, some or all accepted     per message: messageList (accepted), failedMessageList
  200, every message refused    the SDK raises MessageNotReceivedError with the failed list:
                                per message, all refused
  4xx                           the SDK raises Exception(errorCode, errorMessage):
                                ProviderRejected (nothing was sent)
  5xx                           Exception("UnknownError", body): ProviderOutcomeUnknown
  connection refused            httpx.ConnectError: ProviderUnavailable (nothing was sent)
  timeout, broken connection    httpx.TimeoutException / NetworkError: ProviderOutcomeUnknown
                                (the SDK's httpx client waits 5 s; it offers no setting)

lookup() pages through GET {base}/messages/v4/list-old for the sender and the attempt's
time window and keeps the messages whose custom fields name the attempt.
"""

import logging
import uuid
from datetime import datetime, timedelta

import httpx
import pydantic
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from solapi import SolapiMessageService
from solapi.error.MessageNotReceiveError import MessageNotReceivedError
from solapi.model import KakaoOption, MessageType, RequestMessage, SendRequestConfig
from solapi.model.request.messages.get_messages import GetMessagesRequest

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
_TYPES = {"sms": MessageType.SMS, "lms": MessageType.LMS, "alimtalk": MessageType.ATA}
LOOKUP_PAGE = 500
LOOKUP_MAX_PAGES = 200


class SolapiBackend(BaseBackend):
    name = "solapi"
    # SOLAPI's send-many takes up to 10,000 messages per request.
    max_batch_size = 10_000

    def __init__(self, *, api_key: str | None = None, api_secret: str | None = None, base_url: str | None = None):
        api_key = api_key or settings.SOLAPI_API_KEY
        api_secret = api_secret or settings.SOLAPI_API_SECRET
        if not api_key or not api_secret:
            raise ImproperlyConfigured("the solapi messaging backend needs SOLAPI_API_KEY and SOLAPI_API_SECRET")
        self.service = SolapiMessageService(api_key, api_secret)
        # The SDK keeps its base URL on the instance: a local server can stand in for SOLAPI.
        self.service.base_url = (base_url or settings.SOLAPI_BASE_URL).rstrip("/")

    # --- sending -----------------------------------------------------------------------

    def send(self, messages: list[OutgoingMessage], *, attempt_id: uuid.UUID) -> SendResult:
        payload = [self._request_message(m, attempt_id) for m in messages]
        config = SendRequestConfig(show_message_list=True, allow_duplicates=False)
        try:
            response = self.service.send(payload, config)
        except MessageNotReceivedError as exc:  # every message was refused
            refused = {self._recipient_of(f.custom_fields, f.to, messages): f for f in exc.failed_messages}
            return SendResult(group_id="", messages=[
                _refused(m, refused.get(m.recipient_id)) for m in messages
            ])
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ProviderUnavailable(f"SOLAPI at {self.service.base_url} cannot be reached: {exc}") from exc
        except httpx.HTTPError as exc:  # read/write timeouts, broken connections
            raise ProviderOutcomeUnknown(f"SOLAPI call interrupted ({type(exc).__name__}: {exc})") from exc
        except pydantic.ValidationError as exc:
            raise ProviderOutcomeUnknown(f"SOLAPI answered in an unexpected shape: {exc}") from exc
        except Exception as exc:  # the SDK's plain Exception(code, message) for 4xx and 5xx
            raise _classify(exc) from exc

        accepted = {}
        for item in response.message_list or []:
            accepted[self._recipient_of(item.custom_fields, None, messages)] = item
        refused = {}
        for item in response.failed_message_list or []:
            refused[self._recipient_of(item.custom_fields, item.to, messages)] = item
        results = []
        for message in messages:
            item = accepted.get(message.recipient_id)
            if item is not None:
                results.append(ProviderMessage(
                    recipient_id=message.recipient_id, accepted=item.status_code in ACCEPTED_CODES,
                    message_id=item.message_id, status_code=item.status_code, status_message=item.status_message,
                    to=message.to,
                ))
            else:
                results.append(_refused(message, refused.get(message.recipient_id)))
        return SendResult(group_id=response.group_info.group_id, messages=results)

    def _request_message(self, message: OutgoingMessage, attempt_id: uuid.UUID) -> RequestMessage:
        fields = {
            "to": message.to,
            "from": message.sender,
            "type": _TYPES[message.type],
            "auto_type_detect": False,
            "custom_fields": {ATTEMPT_FIELD: str(attempt_id), RECIPIENT_FIELD: message.recipient_id},
        }
        if message.type == "alimtalk":
            fields["text"] = message.text
            fields["kakao_options"] = KakaoOption(pf_id=message.pf_id, template_id=message.template_id,
                                                  variables=message.variables or None, disable_sms=True)
        else:
            fields["text"] = message.text
            if message.type == "lms" and message.subject:
                fields["subject"] = message.subject
        return RequestMessage(**fields)

    @staticmethod
    def _recipient_of(custom_fields, to, messages: list[OutgoingMessage]) -> str:
        if custom_fields and custom_fields.get(RECIPIENT_FIELD):
            return custom_fields[RECIPIENT_FIELD]
        for message in messages:  # numbers are unique within a batch
            if to and message.to == to.replace("-", ""):
                return message.recipient_id
        return ""

    # --- reconciling -------------------------------------------------------------------

    def lookup(self, *, attempt_id: uuid.UUID, sender: str, since: datetime, until: datetime) -> list[ProviderMessage]:
        found: list[ProviderMessage] = []
        start_key = None
        wanted = str(attempt_id)
        for _ in range(LOOKUP_MAX_PAGES):
            query = GetMessagesRequest(from_=sender, start_date=_iso(since - timedelta(minutes=1)),
                                       end_date=_iso(until + timedelta(minutes=1)), limit=LOOKUP_PAGE,
                                       start_key=start_key)
            try:
                page = self.service.get_messages(query)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise ProviderUnavailable(f"SOLAPI at {self.service.base_url} cannot be reached: {exc}") from exc
            except httpx.HTTPError as exc:
                raise ProviderOutcomeUnknown(f"SOLAPI message lookup interrupted: {exc}") from exc
            except pydantic.ValidationError as exc:
                raise ProviderOutcomeUnknown(f"SOLAPI answered a lookup in an unexpected shape: {exc}") from exc
            except Exception as exc:
                raise ProviderOutcomeUnknown(f"SOLAPI message lookup failed: {exc}") from exc
            for message_id, item in page.message_list.items():
                fields = item.custom_fields or {}
                if fields.get(ATTEMPT_FIELD) != wanted:
                    continue
                found.append(ProviderMessage(
                    recipient_id=fields.get(RECIPIENT_FIELD, ""), accepted=(item.status_code or "") in ACCEPTED_CODES,
                    message_id=message_id, status_code=item.status_code or "", status_message="found by lookup",
                    to=item.to if isinstance(item.to, str) else "",
                ))
            if not page.next_key or page.next_key == start_key:
                break
            start_key = page.next_key
        return found


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _refused(message: OutgoingMessage, item) -> ProviderMessage:
    if item is None:
        return ProviderMessage(recipient_id=message.recipient_id, accepted=False, status_code="missing",
                               status_message="not in SOLAPI's answer", to=message.to)
    return ProviderMessage(recipient_id=message.recipient_id, accepted=False, message_id=item.message_id or "",
                           status_code=item.status_code, status_message=item.status_message, to=message.to)


def _classify(exc: Exception) -> Exception:
    args = [str(a) for a in exc.args]
    code = args[0] if args else ""
    detail = args[1] if len(args) > 1 else ""
    if len(args) == 2 and code and code != "UnknownError":
        # A 4xx with SOLAPI's error body: the request was refused as a whole.
        return ProviderRejected(f"SOLAPI refused the request: {code}: {detail}", code=code)
    # A 5xx ("UnknownError", body), or an answer that was not JSON: the request may have
    # been processed. Never resend without looking first.
    return ProviderOutcomeUnknown(f"SOLAPI failed: {' '.join(args)[:300]}", code=code or "UnknownError")
