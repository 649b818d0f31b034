"""An in-memory provider for tests, like Django's locmem e-mail backend.

    from apps.support.messaging.backends import locmem
    locmem.reset()
    ...
    assert [m.to for m in locmem.outbox] == ["01012345678"]

Faults, consumed in order by the next send() calls: locmem.faults.append(exc) raises exc
from a send(); append("after", exc) records the messages first, then raises (the provider
took them, the answer was lost). Numbers in locmem.refuse are refused per message.
"""

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from apps.support.messaging.backends.base import BaseBackend, OutgoingMessage, ProviderMessage, SendResult


@dataclass(frozen=True)
class Sent:
    message: OutgoingMessage
    attempt_id: uuid.UUID
    group_id: str
    message_id: str
    accepted: bool
    status_code: str
    at: datetime

    def __getattr__(self, name):
        return getattr(self.message, name)


outbox: list[Sent] = []
faults: list = []
refuse: set[str] = set()
_lock = threading.Lock()


def reset() -> None:
    with _lock:
        outbox.clear()
        faults.clear()
        refuse.clear()


class LocmemBackend(BaseBackend):
    name = "locmem"
    max_batch_size = 10_000

    def send(self, messages: list[OutgoingMessage], *, attempt_id: uuid.UUID) -> SendResult:
        with _lock:
            fault = faults.pop(0) if faults else None
        after = isinstance(fault, tuple) and fault[0] == "after"
        if fault is not None and not after:
            raise fault
        group_id = f"G{uuid.uuid4().hex[:16]}"
        results = []
        now = timezone.now()
        for message in messages:
            ok = message.to not in refuse
            code = "2000" if ok else "1060"  # SOLAPI's "blocked recipient"
            sent = Sent(message=message, attempt_id=attempt_id, group_id=group_id,
                        message_id=f"M{uuid.uuid4().hex[:16]}", accepted=ok, status_code=code, at=now)
            with _lock:
                outbox.append(sent)
            results.append(_result(sent))
        if after:
            raise fault[1]
        return SendResult(group_id=group_id, messages=results)

    def lookup(self, *, attempt_id, sender, since, until, numbers=None) -> list[ProviderMessage]:
        with _lock:
            return [_result(s) for s in outbox if s.attempt_id == attempt_id]


def _result(sent: Sent) -> ProviderMessage:
    return ProviderMessage(recipient_id=sent.message.recipient_id, accepted=sent.accepted, message_id=sent.message_id,
                           status_code=sent.status_code, status_message="accepted" if sent.accepted else "refused",
                           to=sent.message.to)
