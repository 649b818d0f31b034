"""The messages this worker holds: received and not yet settled.

The heartbeat renews them, shutdown hands them back, and a job thread takes its message
out (remove()) before it acknowledges or retries it. The set's lock is held across each
of those, so a heartbeat can never extend a message's visibility after its job thread
set it (a retry's backoff, say), and shutdown and a finishing job never both settle one.
"""

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class InFlight:
    message: dict[str, Any]
    received_at: float = field(default_factory=time.monotonic)
    cancelled: threading.Event = field(default_factory=threading.Event)
    # Known once the body decodes; `claimed` while this worker holds the job's claim.
    job_id: uuid.UUID | None = None
    claimed: bool = False
    # Set once the 12-hour visibility cap is reached and the heartbeat stops extending.
    capped: bool = False

    @property
    def message_id(self) -> str:
        return self.message.get("MessageId", "")

    @property
    def receipt_handle(self) -> str:
        return self.message["ReceiptHandle"]

    @property
    def body(self) -> str:
        return self.message.get("Body", "")

    @property
    def receive_count(self) -> int:
        return int(self.message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))


class InFlightSet:
    def __init__(self):
        self.lock = threading.RLock()
        self._entries: list[InFlight] = []

    def add(self, entry: InFlight) -> None:
        with self.lock:
            self._entries.append(entry)

    def remove(self, entry: InFlight) -> bool:
        """False when the entry was already taken out (handed back at shutdown)."""
        with self.lock:
            try:
                self._entries.remove(entry)
            except ValueError:
                return False
            return True

    def take_all(self) -> list[InFlight]:
        with self.lock:
            entries, self._entries = self._entries, []
            return entries

    def snapshot(self) -> list[InFlight]:
        with self.lock:
            return list(self._entries)

    def __len__(self) -> int:
        with self.lock:
            return len(self._entries)
