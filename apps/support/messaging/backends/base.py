"""What every provider backend implements, and how the worker reads its answers.

    backend = get_backend()
    result = backend.send(messages, attempt_id=attempt.id)   # one provider call
    found = backend.lookup(attempt_id=..., sender=..., since=..., until=..., numbers={to: recipient_id})

send() returns one ProviderMessage per message (accepted or refused) or raises:

  ProviderRejected        the provider refused the whole request for good (a 4xx such as
                          insufficient balance): nothing was sent, its recipients fail
  ProviderUnavailable     nothing was sent and a later try can send it (connection refused,
                          rate limited, a skewed clock): try again later, fail no one
  ProviderOutcomeUnknown  the request may have been processed (a timeout, a 5xx, a broken
                          connection): never resend blindly, look the messages up first

Every message carries the attempt's id and its recipient's id in the provider's custom
fields, and lookup() is given the attempt's numbers too, so it can find what a lost call
did whether or not the provider keeps custom fields.
"""

import functools
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutgoingMessage:
    recipient_id: str
    to: str
    sender: str
    type: str  # "sms", "lms" or "alimtalk"
    text: str
    subject: str = ""
    template_id: str = ""
    pf_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderMessage:
    """What the provider says about one message."""

    recipient_id: str
    accepted: bool
    message_id: str = ""
    status_code: str = ""
    status_message: str = ""
    to: str = ""


@dataclass(frozen=True)
class SendResult:
    group_id: str
    messages: list[ProviderMessage]


class ProviderError(Exception):
    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class ProviderRejected(ProviderError):
    """The provider refused the request as a whole; nothing was sent."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached; nothing was sent."""


class ProviderOutcomeUnknown(ProviderError):
    """The provider may or may not have taken the messages."""


# Custom-field keys that tie a provider message back to its attempt and recipient.
ATTEMPT_FIELD = "academy_attempt"
RECIPIENT_FIELD = "academy_recipient"


class BaseBackend:
    name = "base"
    # Messages one send() may carry.
    max_batch_size = 10_000

    def send(self, messages: list[OutgoingMessage], *, attempt_id: uuid.UUID) -> SendResult:
        raise NotImplementedError

    def lookup(self, *, attempt_id: uuid.UUID, sender: str, since: datetime, until: datetime,
               numbers: dict[str, str] | None = None) -> list[ProviderMessage]:
        """The messages the provider holds for an attempt (empty when it holds none);
        `numbers` maps each of the attempt's phone numbers to its recipient id."""
        raise NotImplementedError


@functools.lru_cache(maxsize=8)
def _backend_class(path: str):
    return import_string(path)


def get_backend(path: str | None = None) -> BaseBackend:
    return _backend_class(path or settings.MESSAGING_BACKEND)()
