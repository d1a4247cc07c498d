"""Clocks for tests: time that stands still, or that passes only when the code waits."""

from __future__ import annotations

import queue
import threading
import time
from typing import TypeVar

from jobctl._clock import Clock

T = TypeVar("T")


class StoppedClock(Clock):
    """Always ``at`` (Unix time, and monotonic too); sleeping passes no time."""

    def __init__(self, at: float) -> None:
        self.at = at

    def time(self) -> float:
        return self.at

    def monotonic(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        pass


class FakeClock(Clock):
    """The real clock, except that time nobody works through is skipped: a sleep, or a
    wait with nothing under way, moves the clock on at once. While a request or a
    download is in flight, time passes as it really does.

    ``slept`` records every sleep, so a test can see that a retry waited what the
    provider asked.
    """

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + self._skipped

    def time(self) -> float:
        return time.time() + self._skipped

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._skipped += max(0.0, seconds)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.slept.append(seconds)
            self.advance(seconds)

    def take(self, inbox: queue.Queue[T], timeout: float, *, busy: bool) -> T | None:
        if busy:
            return super().take(inbox, timeout, busy=busy)
        try:
            return inbox.get_nowait()
        except queue.Empty:
            self.advance(timeout)
            return None
