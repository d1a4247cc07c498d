"""What downloads show while they work: rich progress bars on a terminal (a bar per
file in flight and a total), one line per finished file otherwise. Both consume the
library's download events (``jobctl._download.events``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from jobctl._download.engine import Saved
from jobctl._download.events import (
    DownloadEvent,
    DownloadFailed,
    DownloadFinished,
    DownloadNote,
    DownloadProgressed,
    DownloadStarted,
)
from jobctl._download.plan import Target
from jobctl._text import one_line
from jobctl._units import format_size
from jobctl.cli.output.grid import cut_middle

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.progress import Progress as RichProgress
    from rich.progress import ProgressColumn, TaskID

    from jobctl.cli.context import Environment, Stream

Emit = Callable[[str], None]
# Columns a bar's line needs besides the name and the bar: "1023.9/1024.0 MiB",
# "1023.9 MiB/s", "0:00:00" and the four gaps between the five columns.
FIGURES = 17 + 12 + 7 + 4


def finished_note(saved: Saved) -> str:
    size = format_size(saved.bytes)
    if saved.skipped:
        return f"{size}, already there"
    if saved.resumed_from:
        return f"{size}, resumed at {format_size(saved.resumed_from)}"
    return size


def finished_line(saved: Saved) -> str:
    return f"{saved.target.provider}:{one_line(saved.target.job_id)}: {saved.path} ({finished_note(saved)})"


class LinesProgress:
    """Off a terminal: one line per finished file and per note; nothing while bytes flow.
    A failed file is reported once, at the end, with the exit code."""

    def __init__(self, emit: Emit, note: Emit | None = None) -> None:
        self.emit = emit
        self.note = note or emit

    def __enter__(self) -> LinesProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def show(self, event: DownloadEvent) -> None:
        if isinstance(event, DownloadFinished):
            self.emit(finished_line(event.saved))
        elif isinstance(event, DownloadNote):
            self.note(event.message)


class BarsProgress:
    """On a terminal: a bar per file in flight (name, bytes, speed, ETA) and a total.

    rich redraws at most 10 times a second on its own thread; a finished file's bar
    gives way to one line above the bars, so many files never fill the screen. On its
    own (``download``) the bars appear with the first file; inside a live watch table,
    that table draws ``renderable()`` and ``standalone`` is False.
    """

    def __init__(self, console: Console, unicode: bool, standalone: bool = True) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.table import Column

        # A bar per line at any width: the byte counts, speed and ETA keep their room,
        # the bar narrows to 10 and then the file name is cut in its middle (its
        # extension stays), with "..." where the terminal cannot show "…" or "✓".
        room = max(8, console.width - FIGURES)
        bar = max(10, min(30, room - 30))
        self.name_width = max(4, room - bar)
        self.unicode = unicode
        self.standalone = standalone
        self.started = False
        self._say = printer(console)  # a line above the bars (rich keeps them under it)
        self.bars: RichProgress = Progress(
            TextColumn("{task.description}", markup=False, table_column=Column(no_wrap=True)),
            BarColumn(bar_width=bar),
            DownloadColumn(binary_units=True, table_column=Column(no_wrap=True, justify="right")),
            _speed_column(),
            TimeRemainingColumn(table_column=Column(no_wrap=True)),
            console=console,
            refresh_per_second=10,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.total = self.bars.add_task("total", total=0, start=True)
        self.tasks: dict[Target, TaskID] = {}
        self.sizes: dict[Target, int] = {}

    def __enter__(self) -> BarsProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.bars.stop()
            self.started = False

    def __rich__(self) -> RenderableType:
        """The bars as they are now (a live table that holds this object redraws them)."""
        return self.bars.get_renderable()

    def show(self, event: DownloadEvent) -> None:
        if isinstance(event, DownloadStarted):
            self._started(event.target, event.name, event.total, event.done)
        elif isinstance(event, DownloadProgressed):
            self._advanced(event.target, event.done)
        elif isinstance(event, DownloadFinished):
            self._finished(event.saved)
        elif isinstance(event, DownloadFailed):
            self._failed(event.target)
        elif isinstance(event, DownloadNote):
            self._say(event.message)

    def _started(self, target: Target, name: str, total: int | None, done: int) -> None:
        if self.standalone and not self.started:
            self.bars.start()
            self.started = True
        shown = cut_middle(one_line(name), self.name_width, "…" if self.unicode else "...")
        self.tasks[target] = self.bars.add_task(shown, total=total, completed=done)
        self.sizes[target] = done
        self._grow(total or 0, done)

    def _grow(self, total: int, done: int) -> None:
        task = self.bars.tasks[self.total] if self.total in self.bars.task_ids else None
        if task is not None:
            self.bars.update(self.total, total=(task.total or 0) + total, advance=done)

    def _advanced(self, target: Target, done: int) -> None:
        task = self.tasks.get(target)
        if task is None:
            return
        step = done - self.sizes[target]
        self.sizes[target] = done
        self.bars.update(task, completed=done)
        self.bars.update(self.total, advance=step)

    def _finished(self, saved: Saved) -> None:
        task = self.tasks.pop(saved.target, None)
        if task is not None:
            self.bars.remove_task(task)
        elif saved.skipped:  # never started: count it in the total as it is
            self._grow(saved.bytes, saved.bytes)
        # The bar showed the file's name; DIR is the user's own: the name alone keeps
        # the line within a terminal's width (the plain line names the job too).
        self._say(f"{'✓ ' if self.unicode else ''}{saved.path.name} ({finished_note(saved)})")

    def _failed(self, target: Target) -> None:
        task = self.tasks.pop(target, None)
        if task is not None:
            self.bars.remove_task(task)
        self._say(f"{'✗ ' if self.unicode else 'failed: '}{target.ref}: {one_line(target.stem)}")


def _speed_column() -> ProgressColumn:
    """Bytes per second in the binary units the byte counts use (rich's own is decimal)."""
    from rich.progress import ProgressColumn, Task
    from rich.table import Column
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{format_size(int(speed))}/s", style="progress.data.speed")

    return Speed(table_column=Column(no_wrap=True, justify="right"))


def printer(console: Console) -> Emit:
    """Print a line through ``console``, so it lands above live bars or a live table."""

    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)

    return say


def download_view(
    env: Environment, which: Stream = "stderr", line: Emit | None = None
) -> BarsProgress | LinesProgress:
    """Bars on ``which`` when it is a terminal that can redraw; else a line per file
    there (through ``line``: by default a note on stderr)."""
    if env.live(which):
        return BarsProgress(env.console(which), env.unicode(which))
    return LinesProgress(line or env.note)
