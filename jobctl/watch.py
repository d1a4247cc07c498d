"""Poll many jobs until they finish: adaptive per-job intervals, per-provider budgets.

The ``Watcher`` owns the schedule and a few daemon worker threads; it reports
every observed change to a ``Sink`` (live table, plain lines or NDJSON), which is
all the display code sees.
"""

from __future__ import annotations

import math
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from jobctl.errors import (
    AuthError,
    ConfigError,
    ExitCode,
    JobctlError,
    NotFound,
    RateLimited,
    RequestRejected,
    WatchTimeout,
    most_severe,
)
from jobctl.model import Job, job_to_dict
from jobctl.refs import Ref

DEFAULT_INTERVAL = 2.0
MAX_INTERVAL = 10.0
GROWTH = 1.5
JITTER = 0.1
DEFAULT_RPM = 120.0  # Gepetto's documented limit; the default for every provider
BURST_SECONDS = 5.0  # a budget may save up this many seconds' worth of requests
MAX_WORKERS = 16
RATE_LIMIT_PAUSE = 10.0  # seconds a provider rests after a 429 that did not say how long

Clock = Callable[[], float]


class Budget:
    """A token bucket: at most ``rate`` requests per second, bursting to ``capacity``.

    ``pause`` stops it for a while (a provider's ``Retry-After``); it then resumes at its
    rate with one request, not with a burst saved up during the pause.
    """

    def __init__(self, rate: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * BURST_SECONDS)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()
        self.paused_until = 0.0
        self.sent: deque[float] = deque()  # when each request of the last minute went

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self) -> float:
        """0 when a request may go now (and counts it), else seconds until one may."""
        now = self.clock()
        if now < self.paused_until:
            return self.paused_until - now
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            self._forget(now)
            self.sent.append(now)
            return 0.0
        return (1 - self.tokens) / self.rate

    def available(self) -> float:
        """Requests it could pay for right now (0 while paused)."""
        now = self.clock()
        if now < self.paused_until:
            return 0.0
        self._refill(now)
        return self.tokens

    def pause(self, seconds: float) -> None:
        now = self.clock()
        self._refill(now)
        self.paused_until = max(self.paused_until, now + max(0.0, seconds))
        self.tokens = min(self.tokens, 1.0)
        self.stamp = max(self.stamp, self.paused_until)

    def paused_for(self) -> float:
        """Seconds left of a pause; 0 when requests may go."""
        return max(0.0, self.paused_until - self.clock())

    def _forget(self, now: float) -> None:
        while self.sent and self.sent[0] <= now - 60.0:
            self.sent.popleft()

    def spent_last_minute(self) -> int:
        self._forget(self.clock())
        return len(self.sent)

    def line(self, provider: str) -> str:
        """``gepetto 118/120 per min``, and the pause when there is one."""
        text = f"{provider} {self.spent_last_minute()}/{self.rate * 60:.4g} per min"
        paused = self.paused_for()
        return f"{text}, rate limited for {math.ceil(paused)} s" if paused > 0 else text


def budget_rate(max_rps: float | None, max_rpm: float | None) -> float:
    rates = [r for r in (max_rps, (max_rpm / 60) if max_rpm else None) if r]
    return min(rates) if rates else DEFAULT_RPM / 60


@dataclass
class Tracked:
    ref: Ref
    interval: float
    next_at: float = 0.0
    job: Job | None = None
    error: JobctlError | None = None
    changed_at: float = 0.0
    polls: int = 0
    in_flight: bool = False
    final: bool = False  # done, or an error that polling again cannot fix
    last_dict: dict[str, object] | None = field(default=None, repr=False)
    budget: Budget | None = field(default=None, repr=False)  # its provider's

    @property
    def paused_for(self) -> float:
        """Seconds until its provider may be asked again after a rate limit; 0 if not paused."""
        return 0.0 if self.budget is None else self.budget.paused_for()


class Sink(Protocol):
    def changed(self, item: Tracked) -> None: ...

    def tick(self, items: Sequence[Tracked]) -> None: ...


def _is_permanent(error: JobctlError) -> bool:
    return isinstance(error, (NotFound, AuthError, ConfigError, RequestRejected))


def rate_limit_pause(error: JobctlError) -> float | None:
    """How long a provider must rest after ``error``; None when it is no rate limit."""
    if not isinstance(error, RateLimited):
        return None
    return RATE_LIMIT_PAUSE if error.retry_after is None else error.retry_after


class Schedule:
    """When to poll which job: the whole polling policy, with no threads and no I/O.

    Each job starts at ``interval`` seconds, grows x1.5 (with +/-10% jitter) up to
    ``max_interval`` while unchanged, and starts over when it changes; every poll
    also needs a token from its provider's budget. ``clock`` may be simulated.
    """

    def __init__(
        self,
        refs: Sequence[Ref],
        budgets: dict[str, Budget],
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = MAX_INTERVAL,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.budgets = budgets
        self.start_interval = interval
        self.max_interval = max(interval, max_interval)
        self.clock = clock
        self.rng = rng or random.Random()
        now = clock()
        self.items = [
            Tracked(ref, interval, next_at=now, changed_at=now, budget=budgets.get(ref.provider))
            for ref in refs
        ]

    def due(self) -> tuple[list[Tracked], float]:
        """The polls to send now (marked in flight), and seconds until the next one is due."""
        now = self.clock()
        wait = self.max_interval
        ready = []
        for item in self.items:
            if item.final or item.in_flight:
                continue
            if item.next_at > now:
                wait = min(wait, item.next_at - now)
                continue
            delay = self.budgets[item.ref.provider].take()
            if delay > 0:
                item.next_at = now + delay
                wait = min(wait, delay)
                continue
            item.in_flight = True
            ready.append(item)
        return ready, max(0.01, wait)

    def record(self, item: Tracked, outcome: Job | JobctlError) -> bool:
        """Take a poll's outcome; True when it changed what the job looks like."""
        item.in_flight = False
        item.polls += 1
        now = self.clock()
        if isinstance(outcome, Job):
            data = job_to_dict(outcome)
            data["activity"] = outcome.activity
            changed = data != item.last_dict or item.error is not None
            item.job, item.error, item.last_dict = outcome, None, data
            item.final = outcome.done
        else:
            changed = item.error is None or item.error.message != outcome.message
            item.error = outcome
            item.final = _is_permanent(outcome)
            pause = rate_limit_pause(outcome)
            if pause is not None:
                self.budgets[item.ref.provider].pause(pause)
        if changed:
            item.changed_at = now
        # A new state starts the schedule over; no change (or a failure) backs off.
        fresh = changed and isinstance(outcome, Job)
        item.interval = self.start_interval if fresh else min(self.max_interval, item.interval * GROWTH)
        item.next_at = now + item.interval * (1 + self.rng.uniform(-JITTER, JITTER))
        return changed

    def budget_line(self) -> str:
        """Requests of the last minute against each provider's budget, for the summary line."""
        return " · ".join(self.budgets[p].line(p) for p in sorted(self.budgets))

    @property
    def finished(self) -> bool:
        return all(i.final for i in self.items)

    def exit_code(self) -> ExitCode:
        codes = [ExitCode(i.error.exit_code) for i in self.items if i.error is not None and i.final]
        if any(i.job is not None and i.job.done and not i.job.status.ok for i in self.items):
            codes.append(ExitCode.JOB_FAILED)
        return most_severe(codes)

    def timeout_message(self, timeout: float) -> str:
        left = [str(i.ref) for i in self.items if not i.final]
        shown = ", ".join(left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
        return f"watch: timed out after {timeout:g}s; not done: {shown}"


class Watcher:
    """Runs a Schedule for real: a few daemon threads fetch, this thread decides."""

    def __init__(self, fetch: Callable[[Ref], Job], schedule: Schedule) -> None:
        self.fetch = fetch
        self.schedule = schedule
        self.items = schedule.items
        self._tasks: queue.Queue[Tracked | None] = queue.Queue()
        self._results: queue.Queue[tuple[Tracked, Job | JobctlError]] = queue.Queue()
        self._workers = min(MAX_WORKERS, max(1, len(self.items)))
        for _ in range(self._workers):
            # Daemon threads: Ctrl-C must not wait for a slow provider to answer.
            threading.Thread(target=self._work, daemon=True, name="jobctl-watch").start()

    def close(self) -> None:
        """Let the workers end once their current request is answered."""
        for _ in range(self._workers):
            self._tasks.put(None)

    def _work(self) -> None:
        while True:
            item = self._tasks.get()
            if item is None:
                return
            try:
                outcome: Job | JobctlError = self.fetch(item.ref)
            except JobctlError as exc:
                outcome = exc
            self._results.put((item, outcome))

    def _apply(self, item: Tracked, outcome: Job | JobctlError, sink: Sink) -> None:
        if self.schedule.record(item, outcome):
            sink.changed(item)

    def run(self, sink: Sink, until_done: bool, timeout: float | None, tick: float = 1.0) -> ExitCode:
        clock = self.schedule.clock
        deadline = None if timeout is None else clock() + timeout
        next_tick = clock()
        while True:
            ready, wait = self.schedule.due()
            for item in ready:
                self._tasks.put(item)
            now = clock()
            if deadline is not None:
                if now >= deadline:
                    raise WatchTimeout(self.schedule.timeout_message(timeout or 0))
                wait = min(wait, deadline - now)
            if now >= next_tick:
                sink.tick(self.items)
                next_tick = now + tick
            wait = min(wait, max(0.01, next_tick - now))
            try:
                item, outcome = self._results.get(timeout=wait)
                self._apply(item, outcome, sink)
                while True:  # drain whatever else has arrived
                    item, outcome = self._results.get_nowait()
                    self._apply(item, outcome, sink)
            except queue.Empty:
                pass
            if until_done and self.schedule.finished:
                sink.tick(self.items)
                return self.schedule.exit_code()


def parse_duration_option(text: str) -> float:
    """``90``, ``90s``, ``1.5m``, ``10m``, ``1h`` -> seconds (> 0)."""
    units = {"s": 1, "m": 60, "h": 3600}
    value = text.strip().lower()
    scale = units.get(value[-1:]) if value else None
    number = value[:-1] if scale else value
    try:
        seconds = float(number) * (scale or 1)
    except ValueError:
        raise ValueError(f"'{text}' is not a duration; use e.g. 90, 90s, 10m or 1h") from None
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError(f"'{text}' must be a positive duration, e.g. 90s, 10m or 1h")
    return seconds
