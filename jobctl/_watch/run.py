"""A watch, run for real: worker threads send the polls the schedule says are due, and
what they bring back becomes events (``jobctl._watch.events``) for whoever iterates.

The watch also keeps the books a watch implies: each new state goes to the journal,
a job the provider no longer knows is marked gone there, and with downloads each job's
files start as soon as it succeeds and finish before the watch ends.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from jobctl._clock import SYSTEM_CLOCK, Clock
from jobctl._download.events import DownloadEvent
from jobctl._text import one_line
from jobctl._watch.events import (
    Event,
    JobChanged,
    Note,
    Paused,
    PollFailed,
    Tick,
    WatchEnded,
    WatchSummary,
)
from jobctl._watch.schedule import Schedule, Tracked, rate_limit_pause
from jobctl.errors import BrokenWatch, ExitCode, JobctlError, NotFoundError, WaitTimeout, most_severe
from jobctl.model import Job, Status
from jobctl.refs import Ref

if TYPE_CHECKING:
    from jobctl._download.run import DownloadRun
    from jobctl.journal import Journal

MAX_WORKERS = 16
TICK = 1.0  # seconds between Tick events while nothing changes

Fetch = Callable[[Ref], Job]
Poll = tuple[Tracked, Job | JobctlError]
Message = Poll | DownloadEvent
DownloadsFor = Callable[[Callable[[DownloadEvent], None]], "DownloadRun"]


class _TimedOut(Exception):
    pass


class Watch:
    """Iterate it for events; ``rows`` is each watched job's current state (what a live
    table draws) and ``budget_line()`` each provider's requests against its budget.

    ``until_done``: end once every job is done (else run until the caller stops);
    ``timeout``: seconds until ``WaitTimeout`` (after the ``WatchEnded`` event);
    ``downloads``: given the function that posts its events, the ``DownloadRun`` that
    fetches each job's files as soon as it succeeds.
    """

    def __init__(
        self,
        fetch: Fetch,
        schedule: Schedule,
        *,
        until_done: bool = True,
        timeout: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        journal: Journal | None = None,
        downloads: DownloadsFor | None = None,
        tick: float = TICK,
    ) -> None:
        self.fetch = fetch
        self.schedule = schedule
        self.rows: Sequence[Tracked] = schedule.items
        self.until_done = until_done
        self.timeout = timeout
        self.clock = clock
        self.journal = journal
        self.tick = tick
        self._inbox: queue.Queue[Message] = queue.Queue()
        self._tasks: queue.Queue[Tracked | None] = queue.Queue()
        self._workers = 0
        self._in_flight = 0
        self._noticed: set[Ref] = set()
        self._ended = False  # WatchEnded was reached: the downloads are finished
        self.downloads = downloads(self._inbox.put) if downloads is not None else None

    def budget_line(self, compact: bool = False) -> str:
        """``gepetto 118/120 per min · krea 3/120 per min`` (see ``Schedule.budget_line``)."""
        return self.schedule.budget_line(compact)

    def __iter__(self) -> Iterator[Event]:
        return self.events()

    def events(self) -> Iterator[Event]:
        """Every event of the watch, ``WatchEnded`` last; then ``WaitTimeout`` when the
        timeout ran out first."""
        self._start()
        try:
            timed_out = False
            try:
                yield from self._poll()
            except _TimedOut:
                timed_out = True
            yield from self._drain()
            summary = self._summary(timed_out)
            self._ended = True
            yield WatchEnded(summary)
            if timed_out:
                message = self.schedule.timeout_message(self.timeout or 0)
                raise WaitTimeout(message, list(summary.failures))
        finally:
            self.close()

    def close(self) -> None:
        """Let the workers end once their current request is answered; downloads not
        yet finished (a loop that stopped early) are abandoned, their .part files kept."""
        for _ in range(self._workers):
            self._tasks.put(None)
        self._workers = 0
        if self.downloads is not None and not self._ended:
            self.downloads.abandon()

    # --- polling -------------------------------------------------------------------

    def _start(self) -> None:
        self._workers = min(MAX_WORKERS, max(1, len(self.rows)))
        for _ in range(self._workers):
            # Daemon threads: Ctrl-C must not wait for a slow provider to answer.
            threading.Thread(target=self._work, daemon=True, name="jobctl-watch").start()

    def _work(self) -> None:
        while (item := self._tasks.get()) is not None:
            try:
                outcome: Job | JobctlError = self.fetch(item.ref)
            except JobctlError as exc:
                outcome = exc
            except Exception as exc:  # a bug must cost one row, not the watch
                outcome = BrokenWatch.of(item.ref, exc)
            self._inbox.put((item, outcome))

    def _busy(self) -> bool:
        return self._in_flight > 0 or (self.downloads is not None and self.downloads.outstanding > 0)

    def _poll(self) -> Iterator[Event]:
        clock = self.clock
        deadline = None if self.timeout is None else clock.monotonic() + self.timeout
        next_tick = clock.monotonic()
        while True:
            ready, wait = self.schedule.due()
            for item in ready:
                self._in_flight += 1
                self._tasks.put(item)
            now = clock.monotonic()
            if deadline is not None:
                if now >= deadline:
                    raise _TimedOut
                wait = min(wait, deadline - now)
            if now >= next_tick:
                yield Tick()
                next_tick = now + self.tick
            wait = min(wait, max(0.01, next_tick - now))
            message = clock.take(self._inbox, wait, busy=self._busy())
            while message is not None:
                yield from self._handle(message)
                message = self._next_now()
            if self.until_done and self.schedule.finished:
                return

    def _next_now(self) -> Message | None:
        try:
            return self._inbox.get_nowait()
        except queue.Empty:
            return None

    def _handle(self, message: Message) -> Iterator[Event]:
        if not isinstance(message, tuple):
            yield message  # a download's event
            return
        item, outcome = message
        self._in_flight -= 1
        if not self.schedule.record(item, outcome):
            return
        if isinstance(outcome, Job):
            yield from self._changed(item, outcome)
            return
        if isinstance(outcome, NotFoundError) and self.journal is not None:
            self.journal.mark_gone([(item.ref.provider, item.ref.id)])
        yield PollFailed(item.ref, outcome, item.final)
        pause = rate_limit_pause(outcome)
        if pause is not None:
            yield Paused(item.ref.provider, pause)

    def _changed(self, item: Tracked, job: Job) -> Iterator[Event]:
        if self.journal is not None:
            self.journal.record([job])
        yield JobChanged(item.ref, job, item.json_changed, item.raw_changed, item.shown_changed)
        if self.downloads is not None and job.status is Status.SUCCEEDED and item.json_changed:
            self.downloads.add([job])
        if job.status is Status.UNKNOWN and item.ref not in self._noticed:
            self._noticed.add(item.ref)
            word = one_line(job.provider_status, 40) or "(none)"
            yield Note(
                f"{item.ref}: '{word}' is not a status word jobctl knows; still waiting on it", item.ref
            )

    # --- the end -------------------------------------------------------------------

    def _drain(self) -> Iterator[Event]:
        """Files still coming when the watch is over: their events, until the last one."""
        if self.downloads is None:
            return
        while True:
            message = self.clock.take(self._inbox, 0.1, busy=True)
            if message is None:
                if self.downloads.outstanding == 0 and self._inbox.empty():
                    return
                continue
            if not isinstance(message, tuple):  # a poll still in flight when it ended: dropped
                yield message

    def _summary(self, timed_out: bool) -> WatchSummary:
        rows = self.rows
        failures = tuple(i.error for i in rows if i.final and i.error is not None)
        downloads = self.downloads.finish() if self.downloads is not None else None
        if timed_out:
            # A job that failed does not count here: the watch did not see every job end.
            code = most_severe([ExitCode.TIMEOUT, *(e.exit_code for e in failures)])
        else:
            code = self.schedule.exit_code()
        if downloads is not None:
            code = most_severe([code, downloads.exit_code])
        return WatchSummary(
            refs=tuple(i.ref for i in rows),
            jobs=tuple(i.job for i in rows if i.job is not None),
            failures=failures,
            not_done=tuple(i.ref for i in rows if not i.final),
            timed_out=timed_out,
            exit_code=code,
            requests={p: b.spent_last_minute() for p, b in sorted(self.schedule.budgets.items())},
            downloads=downloads,
        )
