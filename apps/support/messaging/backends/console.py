"""The embedded default: every message is logged, and taken as accepted. Nothing is sent.

It keeps nothing, so lookup() finds nothing: a call lost to a crash is "sent" again, which
with this backend means logged again.
"""

import logging
import uuid

from apps.support.messaging.backends.base import BaseBackend, OutgoingMessage, ProviderMessage, SendResult

log = logging.getLogger("academy.messaging.console")


class ConsoleBackend(BaseBackend):
    name = "console"

    def send(self, messages: list[OutgoingMessage], *, attempt_id: uuid.UUID) -> SendResult:
        group_id = f"console-{uuid.uuid4().hex[:12]}"
        results = []
        for message in messages:
            message_id = f"console-{uuid.uuid4().hex}"
            log.info("%s to %s from %s: %s%s", message.type.upper(), message.to, message.sender,
                     f"[{message.template_id}] " if message.template_id else "", message.text)
            results.append(ProviderMessage(recipient_id=message.recipient_id, accepted=True, message_id=message_id,
                                           status_code="2000", status_message="logged", to=message.to))
        return SendResult(group_id=group_id, messages=results)

    def lookup(self, *, attempt_id, sender, since, until, numbers=None) -> list[ProviderMessage]:
        return []
