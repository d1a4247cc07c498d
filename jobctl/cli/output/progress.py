"""What `download` shows while it works: rich progress bars on a terminal (a bar per
file in flight and a total), one line per finished file otherwise. Each is a
``downloader.Progress``; ``download_jobs`` ties jobs, engine and display together."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from jobctl._download.engine import DEFAULT_MAX_SIZE, Downloader, Progress, Saved, credentials_from
from jobctl._download.plan import Target, targets_for
from jobctl._units import format_size
from jobctl.cli.output.views import cut_middle, one_line, status_label, unicode_ok
from jobctl.errors import JobctlError, JobFailed
from jobctl.model import Job, Status

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.progress import Progress as RichProgress
    from rich.progress import ProgressColumn, TaskID

    from jobctl.config import Config

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
    """Off a terminal: one line per finished file; nothing while bytes flow."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.lock = threading.Lock()

    def started(self, target: Target, name: str, total: int | None, done: int) -> None:
        pass

    def advanced(self, target: Target, done: int) -> None:
        pass

    def finished(self, saved: Saved) -> None:
        with self.lock:
            self.emit(finished_line(saved))

    def failed(self, target: Target, error: JobctlError) -> None:
        pass  # errors are reported once, at the end, with the exit code


class BarsProgress:
    """On a terminal: a bar per file in flight (name, bytes, speed, ETA) and a total.

    rich redraws at most 10 times a second on its own thread; a finished file's bar
    gives way to one line above the bars, so many files never fill the screen.
    """

    def __init__(self, console: Console) -> None:
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
        self.unicode = unicode_ok(console)
        self._say = _printer(console)  # a line above the bars (rich keeps them under it)
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
        self.lock = threading.Lock()

    def __enter__(self) -> BarsProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def started(self, target: Target, name: str, total: int | None, done: int) -> None:
        with self.lock:
            shown = cut_middle(one_line(name), self.name_width, "…" if self.unicode else "...")
            self.tasks[target] = self.bars.add_task(shown, total=total, completed=done)
            self.sizes[target] = done
            self._grow(total or 0, done)

    def _grow(self, total: int, done: int) -> None:
        task = self.bars.tasks[self.total] if self.total in self.bars.task_ids else None
        if task is not None:
            self.bars.update(self.total, total=(task.total or 0) + total, advance=done)

    def advanced(self, target: Target, done: int) -> None:
        with self.lock:
            task = self.tasks.get(target)
            if task is None:
                return
            step = done - self.sizes[target]
            self.sizes[target] = done
            self.bars.update(task, completed=done)
            self.bars.update(self.total, advance=step)

    def finished(self, saved: Saved) -> None:
        with self.lock:
            task = self.tasks.pop(saved.target, None)
            if task is not None:
                self.bars.remove_task(task)
            elif saved.skipped:  # never started: count it in the total as it is
                self._grow(saved.bytes, saved.bytes)
            # The bar showed the file's name; DIR is the user's own: the name alone keeps
            # the line within a terminal's width (the plain line names the job too).
            self._say(f"{'✓ ' if self.unicode else ''}{saved.path.name} ({finished_note(saved)})")

    def failed(self, target: Target, error: JobctlError) -> None:
        with self.lock:
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


def not_ready(job: Job) -> JobFailed:
    ref = f"{job.provider}:{one_line(job.id)}"
    if job.done:
        return JobFailed(f"{ref}: the job {status_label(job)}; nothing to download")
    return JobFailed(
        f"{ref}: the job is {status_label(job)}, not finished; nothing downloaded "
        f"(jobctl watch {ref} --until-done --download DIR waits for it)"
    )


def plan(jobs: Sequence[Job], note: Emit) -> tuple[list[Target], list[JobctlError]]:
    """The files to fetch, in job order; a note per output that is no URL; an error per
    job that has not succeeded."""
    targets: list[Target] = []
    errors: list[JobctlError] = []
    for job in jobs:
        if job.status is not Status.SUCCEEDED:
            errors.append(not_ready(job))
            continue
        files, others = targets_for(job)
        ref = f"{job.provider}:{one_line(job.id)}"
        for other in others:
            note(f"{ref}: not downloadable (not an http(s) URL): {one_line(other, 200)}")
        if not files and not others:
            note(f"{ref}: the job reported no output files")
        targets.extend(files)
    return targets, errors


class DownloadRun:
    """Jobs in, files out: the engine and the display that fits, for one command run.

    With a ``console`` (a terminal), progress bars on it; else one line per finished
    file through ``note``. ``add`` may be called while a watch is running (its live
    table shows this object's bars); ``finish`` waits for the last file.
    """

    def __init__(
        self,
        folder: Path,
        config: Config,
        *,
        note: Emit,
        overwrite: bool = False,
        max_size: int = DEFAULT_MAX_SIZE,
        console: Console | None = None,
        log: Emit | None = None,
        checksums: bool = False,
    ) -> None:
        # Beside live bars, a note goes through their console so it lands above them.
        self.note = note if console is None else _printer(console)
        self.bars = BarsProgress(console) if console is not None else None
        display: Progress = self.bars or LinesProgress(note)
        credentials = credentials_from(config.settings_for)
        self.engine = Downloader(folder, credentials, overwrite, max_size, display, log, checksums=checksums)
        self.order: dict[Target, int] = {}
        self.errors: list[JobctlError] = []

    def add(self, jobs: Sequence[Job]) -> None:
        targets, errors = plan(jobs, self.note)
        self.errors += errors
        for target in targets:
            self.order.setdefault(target, len(self.order))
        self.engine.submit(targets)

    def wait(self) -> None:
        """Wait for the last file without bars of its own (a watch's live table shows them)."""
        self.engine.wait()

    def finish(self) -> tuple[list[Saved], list[JobctlError]]:
        """Wait for every file (bars on screen meanwhile); results in job order."""
        if self.bars is not None and self.engine.outstanding:
            with self.bars:
                saved, failed = self.engine.wait()
        else:
            saved, failed = self.engine.wait()
        return sorted(saved, key=lambda s: self.order[s.target]), [*self.errors, *failed]

    def __rich__(self) -> RenderableType:
        return self.bars.bars.get_renderable() if self.bars is not None else ""


def download_jobs(
    jobs: Sequence[Job],
    folder: Path,
    config: Config,
    *,
    note: Emit,
    overwrite: bool = False,
    max_size: int = DEFAULT_MAX_SIZE,
    console: Console | None = None,
    log: Emit | None = None,
    checksums: bool = False,
) -> tuple[list[Saved], list[JobctlError]]:
    """Download every succeeded job's files into ``folder``; results in job order.

    With a ``console``, progress bars on it; else a line per file through ``note``.
    ``checksums``: each file's SHA-256 in its ``Saved`` (for a manifest)."""
    run = DownloadRun(
        folder,
        config,
        note=note,
        overwrite=overwrite,
        max_size=max_size,
        console=console,
        log=log,
        checksums=checksums,
    )
    run.add(jobs)
    return run.finish()


def _printer(console: Console) -> Emit:
    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)

    return say


def stderr_bars() -> Console | None:
    """A console for progress bars when stderr is a terminal (and NO_COLOR is unset)."""
    from jobctl.cli.output.views import live_display, make_console

    return make_console(sys.stderr) if live_display(sys.stderr) else None


__all__ = ["BarsProgress", "DownloadRun", "LinesProgress", "download_jobs", "finished_line", "plan"]
