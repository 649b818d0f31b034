"""The one place that says how a message batch, a recipient and a send attempt may change.

    batch       queued -> sending -> done | failed (its job gave up: "gave up after N attempts")
                queued -> cancelled (it never reached the queue; credits released) | failed
                failed -> queued (only `manage dlq redrive`)
    recipient   queued -> sending -> sent -> delivered | undelivered
                sending -> failed (refused by the provider; credits released)
                sending -> queued (the provider never took it: sent again)
                queued -> failed (the batch was cancelled)
    attempt     pending -> completed | not_sent

A failed batch keeps its unsent recipients queued and their credits held, so a redrive
sends them without charging again. Every change goes through one of these machines
(`move`, or `move_all` for many rows in one conditional UPDATE).
"""

from apps.core.status_machine import StatusMachine
from apps.support.messaging.models import MessageBatch, Recipient, SendAttempt

_B, _R, _A = MessageBatch.Status, Recipient.Status, SendAttempt.Status

BATCH = StatusMachine("a message batch", {
    _B.QUEUED: frozenset({_B.SENDING, _B.CANCELLED, _B.FAILED}),
    _B.SENDING: frozenset({_B.DONE, _B.FAILED}),
    _B.FAILED: frozenset({_B.QUEUED}),
    _B.DONE: frozenset(),
    _B.CANCELLED: frozenset(),
})

RECIPIENT = StatusMachine("a recipient", {
    _R.QUEUED: frozenset({_R.SENDING, _R.FAILED}),
    _R.SENDING: frozenset({_R.SENT, _R.FAILED, _R.QUEUED}),
    _R.SENT: frozenset({_R.DELIVERED, _R.UNDELIVERED}),
    _R.REJECTED: frozenset(),
    _R.FAILED: frozenset(),
    _R.DELIVERED: frozenset(),
    _R.UNDELIVERED: frozenset(),
})

ATTEMPT = StatusMachine("a send attempt", {
    _A.PENDING: frozenset({_A.COMPLETED, _A.NOT_SENT}),
    _A.COMPLETED: frozenset(),
    _A.NOT_SENT: frozenset(),
})
