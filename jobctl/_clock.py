"""Time as jobctl reads and spends it: one object, so tests can pass a clock of their own.

Everything that waits (retries, Retry-After, a provider's pause, the watch between
polls) waits through a ``Clock``; nothing calls ``time.sleep`` behind its back.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import queue

T = TypeVar("T")


class Clock:
    """The system's clock: monotonic seconds for intervals, Unix time for dates."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def take(self, inbox: queue.Queue[T], timeout: float, *, busy: bool) -> T | None:
        """The next message in ``inbox`` within ``timeout`` seconds, else None.

        ``busy``: work is under way that will post to ``inbox`` (a request in flight); a
        clock that only pretends to pass may then wait for it instead of jumping ahead.
        """
        import queue

        try:
            return inbox.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None


SYSTEM_CLOCK = Clock()
