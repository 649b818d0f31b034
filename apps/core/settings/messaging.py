"""Messaging settings (SMS / LMS / KakaoTalk Alimtalk through SOLAPI), read by the API and
the messaging worker. Every value comes from the environment; tests override them with
Django's settings fixtures.

  MESSAGING_BACKEND            console (default: logs each message), solapi, locmem (tests),
                               or a dotted path to a backend class, as with EMAIL_BACKEND
  SOLAPI_API_KEY / _SECRET     the SOLAPI credentials (the solapi backend needs both)
  SOLAPI_BASE_URL              default https://api.solapi.com; a local fake in tests and demos
  SOLAPI_TIMEOUT_SECONDS       how long one SOLAPI call may take (default 10)
  MESSAGING_DEFAULT_SENDER     the registered sender number used when a request names none
  MESSAGING_PRICE_SMS / _LMS / _ALIMTALK
                               credits per recipient (integers)
  MESSAGING_REFUND_FAILED_DELIVERY
                               comma-separated types whose failed deliveries are refunded
  MESSAGING_MAX_RECIPIENTS_PER_REQUEST, MESSAGING_PROVIDER_BATCH_SIZE,
  MESSAGING_RATE_LIMIT_PER_SECOND (per tenant, 0 = off), MESSAGING_RECONCILE_GRACE_SECONDS,
  MESSAGING_WEBHOOK_SECRET, MESSAGING_WEBHOOK_PREVIOUS_SECRET, MESSAGING_WEBHOOK_ALLOWED_IPS,
  MESSAGING_TRUSTED_PROXIES
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_BACKENDS = {
    "console": "apps.support.messaging.backends.console.ConsoleBackend",
    "locmem": "apps.support.messaging.backends.locmem.LocmemBackend",
    "solapi": "apps.support.messaging.backends.solapi.SolapiBackend",
}

# Which provider backend the messaging worker sends through (a short name or a dotted path).
MESSAGING_BACKEND = _BACKENDS.get(os.environ.get("MESSAGING_BACKEND", "console"),
                                  os.environ.get("MESSAGING_BACKEND", "console"))
SOLAPI_API_KEY = os.environ.get("SOLAPI_API_KEY", "")
SOLAPI_API_SECRET = os.environ.get("SOLAPI_API_SECRET", "")
SOLAPI_BASE_URL = os.environ.get("SOLAPI_BASE_URL", "https://api.solapi.com")
# Seconds one SOLAPI call may take before its outcome counts as unknown (and is looked up).
SOLAPI_TIMEOUT_SECONDS = float(os.environ.get("SOLAPI_TIMEOUT_SECONDS", "10"))
# The sender number (발신번호, registered with SOLAPI) when a request names none.
MESSAGING_DEFAULT_SENDER = os.environ.get("MESSAGING_DEFAULT_SENDER", "0212345678")
# The KakaoTalk channel (pfId) of templates registered without one.
MESSAGING_KAKAO_PF_ID = os.environ.get("MESSAGING_KAKAO_PF_ID", "")

# Credits per recipient, by message type. A batch holds price x accepted recipients.
MESSAGING_PRICES = {
    "sms": int(os.environ.get("MESSAGING_PRICE_SMS", "20")),
    "lms": int(os.environ.get("MESSAGING_PRICE_LMS", "50")),
    "alimtalk": int(os.environ.get("MESSAGING_PRICE_ALIMTALK", "15")),
}
# Types whose delivery failures (reported by the provider's webhook) are refunded.
MESSAGING_REFUND_FAILED_DELIVERY = frozenset(
    t.strip() for t in os.environ.get("MESSAGING_REFUND_FAILED_DELIVERY", "sms,lms,alimtalk").split(",") if t.strip()
)
# Recipients one POST /api/v1/messages/ may name.
MESSAGING_MAX_RECIPIENTS_PER_REQUEST = int(os.environ.get("MESSAGING_MAX_RECIPIENTS_PER_REQUEST", "10000"))
# Messages per provider call (the backend's own maximum caps it; SOLAPI takes 10,000).
MESSAGING_PROVIDER_BATCH_SIZE = int(os.environ.get("MESSAGING_PROVIDER_BATCH_SIZE", "500"))
# Messages per second one tenant may send, across every worker replica (through the
# cache: Redis when REDIS_URL is set). 0 turns the limit off.
MESSAGING_RATE_LIMIT_PER_SECOND = int(os.environ.get("MESSAGING_RATE_LIMIT_PER_SECOND", "200"))
# After a timeout or a crash, a provider call whose messages the provider cannot show is
# only retried once it is this old (the provider's message list may lag behind a send).
MESSAGING_RECONCILE_GRACE_SECONDS = float(os.environ.get("MESSAGING_RECONCILE_GRACE_SECONDS", "60"))
# The secret in the delivery-report webhook's URL (/api/v1/messaging/delivery-reports/<secret>/);
# empty refuses every report. During a rotation the previous one is accepted too.
MESSAGING_WEBHOOK_SECRET = os.environ.get("MESSAGING_WEBHOOK_SECRET", "")
MESSAGING_WEBHOOK_PREVIOUS_SECRET = os.environ.get("MESSAGING_WEBHOOK_PREVIOUS_SECRET", "")


def _cidrs(name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in os.environ.get(name, "").split(",") if v.strip())
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {value!r} is not an IP address or CIDR network") from None
    return values


# Source addresses (CIDRs, comma-separated) the webhook accepts reports from; empty: any.
MESSAGING_WEBHOOK_ALLOWED_IPS = _cidrs("MESSAGING_WEBHOOK_ALLOWED_IPS")
# Reverse proxies (CIDRs) whose X-Forwarded-For is believed; empty: the socket's peer is the caller.
MESSAGING_TRUSTED_PROXIES = _cidrs("MESSAGING_TRUSTED_PROXIES")
