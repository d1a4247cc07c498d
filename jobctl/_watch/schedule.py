"""When to poll which job: adaptive per-job intervals and per-provider budgets.

``Schedule`` is the whole polling policy, pure and clock-driven: no threads, no I/O.
``jobctl._watch.run`` runs it for real and turns what it records into events.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from jobctl._wording import LIBRARY, Wording
from jobctl.errors import (
    AuthError,
    BrokenWatch,
    ConfigError,
    ExitCode,
    JobctlError,
    NotFoundError,
    PayloadError,
    RateLimited,
    RequestRejected,
    UsageError,
    most_severe,
)
from jobctl.model import Job, job_to_dict
from jobctl.refs import Ref

DEFAULT_INTERVAL = 2.0
MAX_INTERVAL = 10.0
LONGEST_INTERVAL = 86400.0  # a job is asked at least once a day: beyond that a gap is a typo
GROWTH = 1.5
JITTER = 0.1
DEFAULT_RPM = 120.0  # Gepetto's documented limit; the default for every provider
BURST_SECONDS = 5.0  # a budget may save up this many seconds' worth of requests
RATE_LIMIT_PAUSE = 10.0  # seconds a provider rests after a 429 that did not say how long

Clock = Callable[[], float]


def check_timing(interval: object, max_interval: object, timeout: object, words: Wording = LIBRARY) -> None:
    """Refuse polling intervals and a timeout a watch cannot keep, before anything is sent.

    ``interval`` and ``max_interval``: seconds, more than 0 and at most a day, ``interval``
    no longer than ``max_interval`` (the schedule only ever grows it towards that);
    ``timeout``: None, or 0 seconds or more. The command line's checks are these too,
    named with its flags (``words``).

    Raises:
        UsageError: naming the first value that cannot work.
    """
    first, longest = _seconds(words.interval, interval), _seconds(words.max_interval, max_interval)
    for name, seconds in ((words.interval, first), (words.max_interval, longest)):
        if not 0 < seconds <= LONGEST_INTERVAL:  # NaN and the infinities fail this too
            raise UsageError(
                f"{name} {seconds:g} must be a positive number of seconds, "
                f"at most {LONGEST_INTERVAL:g} (a day), e.g. 2 or 0.5"
            )
    if first > longest:
        raise UsageError(
            f"{words.interval} {first:g} is longer than {words.max_interval} {longest:g}; "
            f"shorten it or lengthen {words.max_interval} too"
        )
    limit = None if timeout is None else _seconds(words.timeout, timeout)
    if limit is not None and not 0 <= limit < math.inf:
        raise UsageError(f"{words.timeout} {limit:g} must be a number of seconds, 0 or more (None: no limit)")


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{name} must be a number of seconds, not a {type(value).__name__}")
    return float(value)


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

    def line(self, provider: str, compact: bool = False, limit: bool = True) -> str:
        """``gepetto 118/120 per min``, and the pause when there is one; ``compact``:
        ``gepetto 118/120`` (``gepetto 118`` without the ``limit``) and ``(limited 30 s)``,
        for a line that says "per min" once."""
        spent = f"{provider} {self.spent_last_minute()}"
        if limit:
            spent += f"/{self.rate * 60:.4g}"
        paused = math.ceil(self.paused_for())
        if compact:
            return f"{spent} (limited {paused} s)" if paused > 0 else spent
        return f"{spent} per min, rate limited for {paused} s" if paused > 0 else f"{spent} per min"


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
    # What the last poll changed: the job's JSON object, or only what it does not
    # carry (AISquare's newest event, the raw payload, an error coming or going).
    json_changed: bool = False
    raw_changed: bool = False
    shown_changed: bool = False
    last_dict: dict[str, object] | None = field(default=None, repr=False)
    budget: Budget | None = field(default=None, repr=False)  # its provider's

    @property
    def paused_for(self) -> float:
        """Seconds until its provider may be asked again after a rate limit; 0 if not paused."""
        return 0.0 if self.budget is None else self.budget.paused_for()


def _is_permanent(error: JobctlError) -> bool:
    return isinstance(
        error, (NotFoundError, AuthError, ConfigError, RequestRejected, PayloadError, BrokenWatch)
    )


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
        """Take a poll's outcome; True when it changed anything about the job.

        The item says what: ``json_changed`` (its JSON object), ``raw_changed`` (the
        provider's payload) and ``shown_changed`` (anything a person sees: the
        object, the newest activity, an error coming or going).
        """
        item.in_flight = False
        item.polls += 1
        now = self.clock()
        before = item.job
        if isinstance(outcome, Job):
            data = job_to_dict(outcome)
            item.json_changed = data != item.last_dict
            item.raw_changed = before is None or outcome.raw != before.raw
            item.shown_changed = (
                item.json_changed
                or item.error is not None
                or before is None
                or outcome.activity != before.activity
            )
            item.job, item.error, item.last_dict = outcome, None, data
            item.final = outcome.done
        else:
            item.json_changed = item.raw_changed = False
            item.shown_changed = item.error is None or item.error.message != outcome.message
            item.error = outcome
            item.final = _is_permanent(outcome)
            pause = rate_limit_pause(outcome)
            if pause is not None:
                self.budgets[item.ref.provider].pause(pause)
        if item.shown_changed:
            item.changed_at = now
        # A new state starts the schedule over; no change (or a failure) backs off.
        fresh = item.shown_changed and isinstance(outcome, Job)
        item.interval = self.start_interval if fresh else min(self.max_interval, item.interval * GROWTH)
        item.next_at = now + item.interval * (1 + self.rng.uniform(-JITTER, JITTER))
        return item.shown_changed or item.raw_changed

    def budget_line(self, compact: bool = False) -> str:
        """Requests of the last minute against each provider's budget, for the summary line;
        ``compact``, for a narrow terminal: ``per min (of 120): gepetto 118 · krea 3``, or
        ``per min: gepetto 118/120 · krea 3/60`` when the budgets differ."""
        budgets = [(p, self.budgets[p]) for p in sorted(self.budgets)]
        if not budgets:
            return ""
        if not compact:
            return " · ".join(b.line(p) for p, b in budgets)
        limits = {f"{b.rate * 60:.4g}" for _, b in budgets}
        shared = limits.pop() if len(limits) == 1 else None
        line = " · ".join(b.line(p, compact=True, limit=shared is None) for p, b in budgets)
        return f"per min (of {shared}): {line}" if shared is not None else f"per min: {line}"

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
        return f"timed out after {timeout:g}s; not done: {shown}"
