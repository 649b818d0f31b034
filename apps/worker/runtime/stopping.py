"""Stop policies: whether the loop ends by itself, short of SIGTERM/SIGINT (shutdown.py).

RunUntilSignalled: a deployed worker. Only a signal ends the loop.

RunUntilDrained (--once): drains what is queued now. Polls are short (at most 1 s, instead
of a 20 s long poll), and the loop ends after a poll that found the queue empty while no
job was left waiting or running. Either way, the worker then stops as it does on a signal.

The entry point picks one from the command line; the loop asks it after every turn.
"""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class RunUntilSignalled:
    once: ClassVar[bool] = False  # as the "worker started" line reports the policy

    def poll_wait(self, configured: int) -> int:
        return configured

    def should_stop(self, *, polled: bool, received: int, busy: int) -> bool:
        return False


@dataclass(frozen=True)
class RunUntilDrained:
    once: ClassVar[bool] = True

    def poll_wait(self, configured: int) -> int:
        return min(configured, 1)

    def should_stop(self, *, polled: bool, received: int, busy: int) -> bool:
        """polled: the turn asked SQS for messages (there was room); busy: jobs waiting or running."""
        return polled and not received and busy == 0


StopPolicy = RunUntilSignalled | RunUntilDrained
