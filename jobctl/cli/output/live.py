"""What `watch` shows on a terminal: a live table of every watched job, redrawn as the
library's watch events arrive, with a summary, the budget use and any download bars."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from jobctl._clock import SYSTEM_CLOCK, Clock
from jobctl._text import one_line
from jobctl._units import format_duration
from jobctl._watch.events import (
    DownloadFailed,
    DownloadFinished,
    DownloadNote,
    DownloadProgressed,
    DownloadStarted,
    Event,
    JobChanged,
    Note,
    PollFailed,
    Tick,
    WatchEnded,
)
from jobctl._watch.schedule import Tracked
from jobctl.cli.output.grid import Cell, Column, Grid, Step, fit
from jobctl.cli.output.views import row_line, status_text, summary_cell
from jobctl.model import Job, Status

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.live import Live
    from rich.text import Text

    from jobctl._watch.run import Watch
    from jobctl.cli.output.progress import BarsProgress

ORDER = (Status.RUNNING, Status.QUEUED, Status.UNKNOWN, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)


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


def _cell(item: Tracked, limit: int = 120) -> str:
    """What a row says after the status (the ref is on the row: an error does not repeat it)."""
    if item.error is not None:
        prefix = "" if item.final else "retrying: "
        return prefix + one_line(item.error.message.removeprefix(f"{item.ref}: "), limit)
    if item.job is None:
        return ""
    return summary_cell(item.job, limit)


class LiveTable:
    """A rich Live table of ``watch.rows``, redrawn on change (at most every ``min_gap``
    seconds) and once a tick; notes go under it, and download ``bars`` below them."""

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
        *,
        marks: bool = True,
        min_gap: float = 0.2,
        bars: BarsProgress | None = None,
        budget_line: Callable[[bool], str] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        from rich.live import Live

        self.console = console
        self.items = items
        self.budget_line = budget_line  # "gepetto 118/120 per min", beside the summary (True: compact)
        self.min_gap = min_gap
        self.clock = clock
        self.drawn = -math.inf
        self.marks = marks
        self.notes: list[str] = []  # shown under the table, once each
        # Download bars change on their own, so then rich redraws 10 times a second.
        self.bars = bars
        self.live: Live = Live(
            console=console,
            auto_refresh=bars is not None,
            refresh_per_second=10,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    @classmethod
    def of(cls, watch: Watch, console: Console, marks: bool, bars: BarsProgress | None = None) -> LiveTable:
        """The table of ``watch``'s rows and budgets, on its clock."""
        return cls(
            console, watch.rows, marks=marks, bars=bars, budget_line=watch.budget_line, clock=watch.clock
        )

    @classmethod
    def fits(cls, items: Sequence[Tracked], width: int, marks: bool = True) -> bool:
        """Whether a terminal ``width`` cells wide holds the table of ``items`` with each
        status whole, whatever it comes to say (else ``watch`` prints a line per change)."""
        from rich.text import Text

        widest = Text("✓ succeeded" if marks else "succeeded")  # as wide as "⊘ cancelled": the widest
        rows: list[list[Cell]] = [
            [Text(i.ref.provider), Text(one_line(i.ref.id)), widest, *(Text("") for _ in range(4))]
            for i in items
        ]
        return Grid(cls.COLUMNS, rows, cls.STEPS).narrowest("…" if marks else "...") <= width

    def __enter__(self) -> LiveTable:
        self.live.start()
        self.redraw()
        return self

    def __exit__(self, *exc: object) -> None:
        self.redraw()
        self.live.stop()

    def show(self, event: Event) -> None:
        if isinstance(event, (JobChanged, PollFailed)):
            if self.clock.monotonic() - self.drawn >= self.min_gap:
                self.redraw()
        elif isinstance(event, (Tick, WatchEnded)):
            self.redraw()
        elif isinstance(event, Note):  # a stderr line would tear the redraw
            self.notes.append(event.message)
        elif self.bars is not None and isinstance(
            event, (DownloadStarted, DownloadProgressed, DownloadFinished, DownloadFailed, DownloadNote)
        ):
            self.bars.show(event)

    def redraw(self) -> None:
        self.drawn = self.clock.monotonic()
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

        now = now or datetime.fromtimestamp(self.clock.time(), timezone.utc)
        mono = self.clock.monotonic() if mono is None else mono
        rows, hidden = self.visible()
        table = Grid(
            self.COLUMNS, [self._row(item, now, mono) for item in rows], self.STEPS, line_of=row_line
        )
        footer = Text(summary(self.items, " · " if self.marks else ", "), style="bold")
        if hidden:
            footer.append(f"   ({hidden} more not shown)", style="dim")
        notes = [Text(note, style="yellow") for note in self.notes]
        extra = [] if self.bars is None else [self.bars]  # drawn afresh at each refresh
        # The budget text is read here, on the thread that runs the watch: rich redraws the
        # group on a thread of its own while download bars move, and the budgets' counters
        # are the watch's to touch.
        budget = None
        if self.budget_line is not None:
            lines = {compact: self.budget_line(compact) for compact in (False, True)}
            budget = lines.__getitem__
        return Group(table, Footer(footer, budget, ascii_only=not self.marks), *notes, *extra)

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
    return Text(_cell(item, 200), style="red" if item.error else "")


def elapsed(job: Job | None, now: datetime) -> str:
    """How long a job has run: up to now while it runs, its duration once it is done."""
    if job is None or job.created_at is None:
        return "-"
    if job.done:
        return format_duration(job.duration)
    return format_duration(max(now - job.created_at, timedelta()))
