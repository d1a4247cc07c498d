"""Clocks for tests: time that stands still, or that passes only when the code waits."""

from __future__ import annotations

from jobctl._clock import Clock


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
