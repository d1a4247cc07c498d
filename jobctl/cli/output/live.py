"""What `watch` shows: a live table on a terminal, one line per change otherwise,
or NDJSON. Each is a Sink that consumes the library's stream of changes
(``watch.Watcher.changes``); none of them decides when or what to poll."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol

from jobctl._watch.schedule import Tracked, Watcher
from jobctl.cli.output.views import (
    Cell,
    Column,
    Grid,
    Step,
    dumps_json,
    fit,
    format_duration,
    one_line,
    status_label,
    status_text,
    summary_cell,
    unicode_ok,
)
from jobctl.errors import ExitCode, JobctlError, NotFoundError, WaitTimeout
from jobctl.model import Job, Status, job_to_dict
from jobctl.refs import Ref

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.live import Live
    from rich.text import Text

    from jobctl.client import Client

Emit = Callable[[str], None]
Gone = Callable[[list[tuple[str, str]]], None]
ORDER = (Status.RUNNING, Status.QUEUED, Status.UNKNOWN, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)


class Sink(Protocol):
    def changed(self, item: Tracked) -> None: ...

    def tick(self, items: Sequence[Tracked]) -> None: ...


def summary(items: Sequence[Tracked], sep: str = " · ") -> str:
    counts = Counter(i.job.status for i in items if i.job is not None and i.error is None)
    parts = [f"{counts[s]} {s.value}" for s in ORDER if counts[s]]
    errors = sum(1 for i in items if i.error is not None)
    if errors:
        parts.append(f"{errors} error{'s' if errors > 1 else ''}")
    waiting = sum(1 for i in items if i.job is None and i.error is None)
    if waiting:
        parts.append(f"{waiting} waiting")
    return sep.join(parts)


def _cell(item: Tracked, limit: int = 120, in_row: bool = False) -> str:
    """What a row says after the status; ``in_row``: the ref is already on the row,
    so an error message does not repeat it."""
    if item.error is not None:
        prefix = "" if item.final else "retrying: "
        message = item.error.message
        if in_row:
            message = message.removeprefix(f"{item.ref}: ")
        return prefix + one_line(message, limit)
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

    def changed(self, item: Tracked) -> None:
        if item.error is not None:
            self.warn(_cell(item, 400))
        # With --raw the payload is part of the object: a new event is a new line.
        elif item.job is not None and (item.json_changed or (self.raw and item.raw_changed)):
            self.emit(dumps_json(job_to_dict(item.job, raw=self.raw)))

    def tick(self, items: Sequence[Tracked]) -> None:
        pass


class LinesSink:
    """Plain text for pipes, NO_COLOR and TERM=dumb: a line per change, stamped in UTC."""

    def __init__(self, emit: Emit, clock: Callable[[], datetime] | None = None) -> None:
        self.emit = emit
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def changed(self, item: Tracked) -> None:
        if not item.shown_changed:
            return
        stamp = self.clock().astimezone(timezone.utc).strftime("%H:%M:%SZ")
        state = "error" if item.error is not None else status_label(item.job) if item.job else "-"
        text = f"{stamp}  {item.ref.provider}:{one_line(item.ref.id)}  {state}"
        detail = _cell(item)
        self.emit(f"{text}  {detail}" if detail else text)

    def tick(self, items: Sequence[Tracked]) -> None:
        pass


class LiveSink:
    """A rich Live table, redrawn on change (at most every ``min_gap`` s) and once a tick."""

    COLUMNS = (
        Column("PROVIDER"),
        Column("ID", cut="middle", min_width=13),
        Column("STATUS"),
        Column("KIND", cut="end", max_width=20),
        Column("ELAPSED"),
        Column("CHANGED"),
        Column("OUTPUT / ERROR / ACTIVITY", cut="end"),
    )
    # The order in which the table gives way on a narrow terminal (README, "Narrow terminals").
    STEPS: tuple[Step, ...] = (
        ("drop", "CHANGED"),
        ("drop", "KIND"),
        ("compact", "STATUS"),
        ("cut", "ID"),
        ("drop", "ELAPSED"),
    )

    def __init__(
        self,
        console: Console,
        items: Sequence[Tracked],
        min_gap: float = 0.2,
        extra: RenderableType | None = None,
        budget_line: Callable[[bool], str] | None = None,
    ) -> None:
        from rich.live import Live

        self.console = console
        self.items = items
        self.budget_line = budget_line  # "gepetto 118/120 per min", beside the summary (True: compact)
        self.min_gap = min_gap
        self.started = time.monotonic()
        self.drawn = 0.0
        self.marks = unicode_ok(console)
        self.notes: list[str] = []  # shown under the table, once each
        # ``extra`` (download bars) changes on its own, so then rich redraws 10 times a second.
        self.extra = extra
        self.live: Live = Live(
            console=console,
            auto_refresh=extra is not None,
            refresh_per_second=10,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
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

    def render(self, now: datetime | None = None, mono: float | None = None) -> RenderableType:
        """The table and its summary line, as of ``now`` (wall clock) and ``mono`` (monotonic)."""
        from rich.console import Group
        from rich.text import Text

        now = now or datetime.now(timezone.utc)
        mono = time.monotonic() if mono is None else mono
        rows, hidden = self.visible()
        table = Grid(self.COLUMNS, [self._row(item, now, mono) for item in rows], self.STEPS)
        footer = Text(summary(self.items, " · " if self.marks else ", "), style="bold")
        if hidden:
            footer.append(f"   ({hidden} more not shown)", style="dim")
        notes = [Text(note, style="yellow") for note in self.notes]
        extra = [] if self.extra is None else [self.extra]
        return Group(table, Footer(footer, self.budget_line, ascii_only=not self.marks), *notes, *extra)

    def _marked(self, mark: str, word: str) -> str:
        return f"{mark} {word}" if self.marks else word

    def _row(self, item: Tracked, now: datetime, mono: float) -> list[Cell]:
        from rich.text import Text

        job = item.job
        status: Cell
        if item.error is not None:
            word = self._marked("✗", "error") if item.final else self._marked("!", "retrying")
            status = Text(word, style="red" if item.final else "yellow")
        elif job is not None:
            status = (status_text(job, self.marks), status_text(job, self.marks, compact=True))
        else:
            status = Text(self._marked("·", "waiting"), style="dim")
        return [
            Text(item.ref.provider),
            Text(one_line(item.ref.id)),
            status,
            Text(one_line(job.kind or "-", 30) if job else "-"),
            Text(elapsed(job, now)),
            Text(format_duration(timedelta(seconds=max(0.0, mono - item.changed_at)))),
            _last_cell(item),
        ]


class Footer:
    """The summary line, with the budget line beside it when both fit the width (the
    budget compact if need be); else the budget on a line of its own. Each line is cut
    to the width (with "..." where the terminal cannot show "…"), so the footer never
    wraps into the table's next redraw."""

    def __init__(self, summary: Text, budget: Callable[[bool], str] | None, ascii_only: bool) -> None:
        self.summary, self.budget, self.ascii_only = summary, budget, ascii_only

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.cells import cell_len
        from rich.text import Text

        width = options.max_width
        ellipsis = "..." if self.ascii_only else "…"
        line = ""
        for compact in (False, True):
            line = self.budget(compact) if self.budget is not None else ""
            if self.ascii_only:
                line = line.replace(" · ", ", ")
            if not line:
                break
            if self.summary.cell_len + 3 + cell_len(line) <= width:
                yield self.summary.copy().append("   ").append(line, style="dim")
                return
        yield fit(self.summary, width, ellipsis)
        if line:
            yield fit(Text(line, style="dim"), width, ellipsis)


def _last_cell(item: Tracked) -> Text:
    from rich.text import Text

    paused = item.paused_for
    if paused > 0:  # every row of a rate-limited provider says so, not only the one that hit it
        return Text(f"rate limited, next try in {math.ceil(paused)} s", style="yellow")
    return Text(_cell(item, 200, in_row=True), style="red" if item.error else "")


def elapsed(job: Job | None, now: datetime) -> str:
    """How long a job has run: up to now while it runs, its duration once it is done."""
    if job is None or job.created_at is None:
        return "-"
    if job.done:
        return format_duration(job.duration)
    return format_duration(max(now - job.created_at, timedelta()))


class Recorder:
    """Passes changes on to a display and writes each new job state to the journal,
    marking a job the provider no longer knows (404) as gone, and saying once per job
    that it keeps waiting on a status word nobody documented; ``on_succeeded`` hears of
    each job that has just succeeded (watch --download)."""

    def __init__(
        self,
        display: Sink,
        record: Callable[[list[Job]], None],
        gone: Gone,
        notice: Emit,
        on_succeeded: Callable[[Job], None] | None = None,
    ) -> None:
        self.display, self.record, self.gone, self.notice = display, record, gone, notice
        self.on_succeeded = on_succeeded
        self.noticed: set[Ref] = set()

    def changed(self, item: Tracked) -> None:
        self.display.changed(item)
        if item.job is not None and item.error is None:
            self.record([item.job])
            if self.on_succeeded is not None and item.job.status is Status.SUCCEEDED and item.json_changed:
                self.on_succeeded(item.job)
            if item.job.status is Status.UNKNOWN and item.ref not in self.noticed:
                self.noticed.add(item.ref)
                word = one_line(item.job.provider_status, 40) or "(none)"
                self.notice(f"{item.ref}: '{word}' is not a status word jobctl knows; still waiting on it")
        elif isinstance(item.error, NotFoundError):
            self.gone([(item.ref.provider, item.ref.id)])

    def tick(self, items: Sequence[Tracked]) -> None:
        self.display.tick(items)


def watch_refs(
    client: Client,
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
    gone: Gone = lambda refs: None,
    notice: Emit | None = None,
    console: Console | None = None,
    on_succeeded: Callable[[Job], None] | None = None,
    extra: RenderableType | None = None,
    drain: Callable[[], object] | None = None,
    history: Sequence[Job] = (),
) -> tuple[ExitCode, list[JobctlError]]:
    """Watch ``refs`` with the display ``mode`` ('live', 'lines' or 'ndjson').

    ``history``: journal entries, from which the polling policy learns durations.
    ``drain``: called once the watch is over (done or timed out) while the display is
    still up, so downloads in ``extra`` finish in place instead of below the last frame.
    Returns the exit code and the errors that ended a job's watch.
    """
    watcher = client.watcher(refs, interval, max_interval, history)
    try:
        if mode == "live":
            from jobctl.cli.output.views import make_console

            live = LiveSink(
                console or make_console(),
                watcher.items,
                extra=extra,
                budget_line=watcher.schedule.budget_line,
            )
            with live:  # a note goes under the table: a stderr line would tear the redraw
                recorder = Recorder(live, record, gone, live.notes.append, on_succeeded)
                code = _consume(watcher, recorder, until_done, timeout, drain)
        else:
            display: Sink = NdjsonSink(emit, warn, raw) if mode == "ndjson" else LinesSink(emit)
            recorder = Recorder(display, record, gone, notice or warn, on_succeeded)
            code = _consume(watcher, recorder, until_done, timeout, drain)
    finally:
        watcher.close()
    return code, [i.error for i in watcher.items if i.final and i.error is not None]


def _consume(
    watcher: Watcher, sink: Sink, until_done: bool, timeout: float | None, drain: Callable[[], object] | None
) -> ExitCode:
    try:
        for item in watcher.changes(until_done, timeout):
            if item is None:
                sink.tick(watcher.items)
            else:
                sink.changed(item)
    except WaitTimeout:
        if drain is not None:
            drain()
        raise
    if drain is not None:
        drain()
    return watcher.schedule.exit_code()
