"""Provider backends, chosen by settings.MESSAGING_BACKEND as Django chooses EMAIL_BACKEND.

  console  apps.support.messaging.backends.console.ConsoleBackend   logs each message (default)
  locmem   apps.support.messaging.backends.locmem.LocmemBackend     keeps them in memory (tests)
  solapi   apps.support.messaging.backends.solapi.SolapiBackend     the real SOLAPI SDK

Only the messaging worker sends, so only its image has the solapi package; the SOLAPI
backend module is imported when it is chosen, never by the API.
"""

from apps.support.messaging.backends.base import (
    BaseBackend,
    OutgoingMessage,
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    ProviderMessage,
    SendResult,
    get_backend,
)

__all__ = [
    "BaseBackend",
    "OutgoingMessage",
    "ProviderError",
    "ProviderMessage",
    "ProviderOutcomeUnknown",
    "ProviderRejected",
    "ProviderUnavailable",
    "SendResult",
    "get_backend",
]
