"""What `watch` shows: a live table on a terminal, one line per change otherwise,
or NDJSON. Each is a Sink fed by ``watch.Watcher``."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from jobctl.errors import ExitCode, JobctlError
from jobctl.model import Job, Status, job_to_dict
from jobctl.policy import LikelihoodSchedule
from jobctl.refs import Ref
from jobctl.render import (
    Grid,
    ago,
    dumps_json,
    format_duration,
    one_line,
    status_label,
    status_text,
    summary_cell,
)
from jobctl.watch import Budget, Tracked, Watcher, budget_rate

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.text import Text

    from jobctl.fetch import Fetcher

Emit = Callable[[str], None]
ORDER = (Status.RUNNING, Status.QUEUED, Status.UNKNOWN, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)


def summary(items: Sequence[Tracked]) -> str:
    counts = Counter(i.job.status for i in items if i.job is not None and i.error is None)
    parts = [f"{counts[s]} {s.value}" for s in ORDER if counts[s]]
    errors = sum(1 for i in items if i.error is not None)
    if errors:
        parts.append(f"{errors} error{'s' if errors > 1 else ''}")
    waiting = sum(1 for i in items if i.job is None and i.error is None)
    if waiting:
        parts.append(f"{waiting} waiting")
    return " · ".join(parts)


def _cell(item: Tracked, limit: int = 120) -> str:
    if item.error is not None:
        prefix = "" if item.final else "retrying: "
        return prefix + one_line(item.error.message, limit)
    if item.job is None:
        return ""
    return summary_cell(item.job, limit)


class NdjsonSink:
    """One JSON object per observed change; nothing while nothing changes.

    A change the object does not carry (AISquare's newest event without ``--raw``, a
    job answering again after a transient error) prints nothing: no repeated lines.
    """

    def __init__(self, emit: Emit, warn: Emit, raw: bool = False) -> None:
        self.emit, self.warn, self.raw = emit, warn, raw
        self.last: dict[Ref, str] = {}

    def changed(self, item: Tracked) -> None:
        if item.error is not None:
            self.warn(_cell(item, 400))
        elif item.job is not None:
            line = dumps_json(job_to_dict(item.job, raw=self.raw))
            if self.last.get(item.ref) != line:
                self.last[item.ref] = line
                self.emit(line)

    def tick(self, items: Sequence[Tracked]) -> None:
        pass


class LinesSink:
    """Plain text for pipes and NO_COLOR: a timestamped line per change."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    def changed(self, item: Tracked) -> None:
        stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
        state = "error" if item.error is not None else status_label(item.job) if item.job else "-"
        text = f"{stamp}  {item.ref.provider}:{one_line(item.ref.id)}  {state}"
        detail = _cell(item)
        self.emit(f"{text}  {detail}" if detail else text)

    def tick(self, items: Sequence[Tracked]) -> None:
        pass


class LiveSink:
    """A rich Live table, redrawn on change (at most every ``min_gap`` s) and once a tick."""

    HEADERS = ("PROVIDER", "ID", "STATUS", "KIND", "ELAPSED", "CHANGED", "OUTPUT / ERROR / ACTIVITY")

    def __init__(
        self,
        console: Console,
        items: Sequence[Tracked],
        min_gap: float = 0.2,
        budget_line: Callable[[], str] | None = None,
    ) -> None:
        from rich.live import Live

        self.console = console
        self.items = items
        self.budget_line = budget_line  # "gepetto 118/120 per min", beside the summary
        self.min_gap = min_gap
        self.started = time.monotonic()
        self.drawn = 0.0
        self.live: Live = Live(
            console=console, auto_refresh=False, transient=False, redirect_stdout=False, redirect_stderr=False
        )

    def __enter__(self) -> LiveSink:
        self.live.start()
        self.redraw()
        return self

    def __exit__(self, *exc: object) -> None:
        self.redraw()
        self.live.stop()

    def changed(self, item: Tracked) -> None:
        if time.monotonic() - self.drawn >= self.min_gap:
            self.redraw()

    def tick(self, items: Sequence[Tracked]) -> None:
        self.redraw()

    def redraw(self) -> None:
        self.drawn = time.monotonic()
        self.live.update(self.render(), refresh=True)

    def visible(self) -> tuple[list[Tracked], int]:
        """The rows that fit: unfinished and recently changed first when they don't all."""
        room = max(3, self.console.size.height - 6)
        if len(self.items) <= room:
            return list(self.items), 0
        ranked = sorted(self.items, key=lambda i: (i.final, -i.changed_at))
        shown = set(map(id, ranked[: room - 1]))
        return [i for i in self.items if id(i) in shown], len(self.items) - (room - 1)

    def render(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        now = datetime.now(timezone.utc)
        mono = time.monotonic()
        rows, hidden = self.visible()
        table = Grid(self.HEADERS, [self._row(item, now, mono) for item in rows])
        footer = Text(summary(self.items), style="bold")
        if hidden:
            footer.append(f"   ({hidden} more not shown)", style="dim")
        if self.budget_line is not None:
            footer.append(f"   {self.budget_line()}", style="dim")
        return Group(table, footer)

    def _row(self, item: Tracked, now: datetime, mono: float) -> list[Text]:
        from rich.text import Text

        job = item.job
        if item.error is not None:
            status = Text("✗ error" if item.final else "! retrying", style="red" if item.final else "yellow")
        elif job is not None:
            status = status_text(job)
        else:
            status = Text("… waiting", style="dim")
        elapsed = "-"
        if job is not None:
            elapsed = format_duration(job.duration) if job.duration else ago(job.created_at, now)[:-4]
        return [
            Text(item.ref.provider),
            Text(one_line(item.ref.id)),
            status,
            Text(one_line(job.kind or "-", 30) if job else "-"),
            Text(elapsed),
            Text(format_duration(timedelta(seconds=max(0.0, mono - item.changed_at)))),
            _last_cell(item),
        ]


def _last_cell(item: Tracked) -> Text:
    from rich.text import Text

    paused = item.paused_for
    if paused > 0:  # every row of a rate-limited provider says so, not only the one that hit it
        return Text(f"rate limited, next try in {math.ceil(paused)} s", style="yellow")
    return Text(_cell(item, 200), style="red" if item.error else "")


class Recorder:
    """Passes changes on to a display and writes each new job state to the journal."""

    def __init__(self, display: Any, record: Callable[[list[Job]], None]) -> None:
        self.display, self.record = display, record

    def changed(self, item: Tracked) -> None:
        self.display.changed(item)
        if item.job is not None and item.error is None:
            self.record([item.job])

    def tick(self, items: Sequence[Tracked]) -> None:
        self.display.tick(items)


def budgets_for(fetcher: Fetcher, refs: Sequence[Ref]) -> dict[str, Budget]:
    budgets = {}
    for provider in {r.provider for r in refs}:
        try:
            settings = fetcher.config.settings_for(provider)
            rate = budget_rate(settings.max_rps, settings.max_rpm)
        except JobctlError:
            rate = budget_rate(None, None)  # its refs will fail with the config error anyway
        budgets[provider] = Budget(rate)
    return budgets


def watch_refs(
    fetcher: Fetcher,
    refs: Sequence[Ref],
    *,
    mode: str,
    until_done: bool,
    interval: float,
    max_interval: float,
    timeout: float | None,
    emit: Emit,
    warn: Emit,
    record: Callable[[list[Job]], None],
    raw: bool = False,
    console: Console | None = None,
    history: Sequence[Job] = (),
) -> tuple[ExitCode, list[JobctlError]]:
    """Watch ``refs`` with the display ``mode`` ('live', 'lines' or 'ndjson').

    ``history``: journal entries, from which the polling policy learns durations.
    Returns the exit code and the errors that ended a job's watch.
    """
    schedule = LikelihoodSchedule(refs, budgets_for(fetcher, refs), interval, max_interval, history=history)
    fetcher.patient = False  # a rate limit pauses the schedule; no worker thread waits it out
    watcher = Watcher(fetcher.fetch, schedule)
    try:
        if mode == "live":
            from jobctl.render import make_console

            live = LiveSink(console or make_console(), watcher.items, budget_line=schedule.budget_line)
            with live:
                code = watcher.run(Recorder(live, record), until_done, timeout)
        else:
            display: Any = NdjsonSink(emit, warn, raw) if mode == "ndjson" else LinesSink(emit)
            code = watcher.run(Recorder(display, record), until_done, timeout)
    finally:
        watcher.close()
    return code, [i.error for i in watcher.items if i.final and i.error is not None]
