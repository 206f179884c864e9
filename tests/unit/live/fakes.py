"""Hand-written fakes for the live pipeline's collaborators."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from chalicelib.errors import StoreUnavailable
from chalicelib.live.fanout import ConnectionGone
from chalicelib.store.memory import MemoryStatStore
from chalicelib.store.records import StatDelta


class RecordingSend:
    """Records messages per connection; gone ids answer 410, broken ids fail otherwise."""

    def __init__(self, *, gone: Sequence[str] = (), broken: Sequence[str] = ()) -> None:
        self.gone = set(gone)
        self.broken = set(broken)
        self.sent: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def __call__(self, connection_id: str, message: str) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        if connection_id in self.broken:
            raise OSError("connection reset")
        with self.lock:
            self.sent.setdefault(connection_id, []).append(message)


class FlakyStats(MemoryStatStore):
    """A memory stat store whose ``apply_once`` fails for some markers, a number of times."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: dict[str, int] = {}  # marker -> failures left (-1: forever)

    def apply_once(
        self, marker: str, deltas: Sequence[StatDelta], *, marker_expires_at: int
    ) -> bool:
        left = self.failures.get(marker, 0)
        if left:
            self.failures[marker] = left - 1 if left > 0 else left
            raise StoreUnavailable("apply stats: DynamoDB failed (ThrottlingException)")
        return super().apply_once(marker, deltas, marker_expires_at=marker_expires_at)
