"""Show jobs: detail view, table, JSON and NDJSON; plain text when not on a terminal.

Provider text passes through ``clean`` before it reaches a terminal or a pipe, and
is handed to rich as ``Text`` (never markup). JSON never imports rich.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any

from jobctl.model import Job, Status, format_timestamp

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.text import Text

STATUS_STYLE = {
    Status.QUEUED: "yellow",
    Status.RUNNING: "cyan",
    Status.SUCCEEDED: "green",
    Status.FAILED: "bold red",
    Status.CANCELLED: "magenta",
    Status.UNKNOWN: "yellow",
}
STATUS_MARK = {
    Status.QUEUED: "…",
    Status.RUNNING: "▶",
    Status.SUCCEEDED: "✓",
    Status.FAILED: "✗",
    Status.CANCELLED: "⊘",
    Status.UNKNOWN: "?",
}

# ESC sequences (CSI, OSC, other two-byte), C0/C1 controls, DEL, and the bidi
# overrides that can make text read differently from what it is.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_C1_AND_DEL = re.compile(r"[\x7f-\x9f]")


def clean(text: str) -> str:
    """Provider text made safe to print: no escape sequences or control characters."""
    text = _ESCAPES.sub("", text)
    text = text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def one_line(text: str, limit: int | None = None) -> str:
    flat = " ".join(clean(text).split())
    if limit and len(flat) > limit:
        return flat[: limit - 1] + "…"
    return flat


def dumps_json(value: Any, pretty: bool = False) -> str:
    """JSON for stdout: unicode kept readable, but C1 controls and DEL escaped too."""
    text = json.dumps(
        value, ensure_ascii=False, indent=2 if pretty else None, separators=None if pretty else (",", ":")
    )
    return _C1_AND_DEL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def format_duration(delta: timedelta | None) -> str:
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    return f"{format_duration(max(now - when, timedelta()))} ago"


def status_label(job: Job) -> str:
    word = one_line(job.provider_status, 40)
    if word and word != job.status.value:
        return f"{job.status.value} ({word})"
    return job.status.value


def error_text(job: Job) -> str | None:
    if job.error is None:
        return None
    code = f"[{one_line(job.error.code, 60)}] " if job.error.code else ""
    return code + one_line(job.error.message or "", 400) if (code or job.error.message) else None


def _detail_rows(job: Job, now: datetime) -> list[tuple[str, str]]:
    rows = [("status", status_label(job))]
    if job.kind:
        rows.append(("kind", one_line(job.kind, 80)))
    if job.created_at:
        rows.append(("created", f"{format_timestamp(job.created_at)} ({ago(job.created_at, now)})"))
    if job.updated_at and job.updated_at != job.finished_at:
        rows.append(("updated", f"{format_timestamp(job.updated_at)} ({ago(job.updated_at, now)})"))
    if job.finished_at:
        rows.append(("finished", f"{format_timestamp(job.finished_at)} ({ago(job.finished_at, now)})"))
    if job.duration is not None:
        rows.append(("took", format_duration(job.duration)))
    elif job.created_at and not job.done:
        rows.append(("running for", format_duration(now - job.created_at)))
    if job.activity:
        rows.append(("activity", one_line(job.activity, 200)))
    for i, output in enumerate(job.outputs):
        rows.append(("outputs" if i == 0 else "", one_line(output)))
    if not job.outputs and job.status is Status.SUCCEEDED:
        rows.append(("outputs", "(none reported)"))
    err = error_text(job)
    if err:
        rows.append(("error", err))
    return rows


def detail_plain(job: Job, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    rows = [("job", f"{job.provider}:{one_line(job.id)}"), *_detail_rows(job, now)]
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"{(label + ':') if label else '':<{width}}{value}" for label, value in rows)


TABLE_HEADERS = ("PROVIDER", "ID", "STATUS", "KIND", "AGE", "TOOK", "OUTPUT / ERROR")


def summary_cell(job: Job, limit: int = 120) -> str:
    """What a row says about results: the error, the newest activity, or the outputs."""
    err = error_text(job)
    if err:
        return one_line(err, limit)
    if job.outputs:
        more = f" (+{len(job.outputs) - 1} more)" if len(job.outputs) > 1 else ""
        return one_line(job.outputs[0], limit) + more
    if job.activity:
        return one_line(job.activity, limit)
    return ""


def table_row(job: Job, now: datetime) -> tuple[str, ...]:
    return (
        job.provider,
        one_line(job.id),
        status_label(job),
        one_line(job.kind or "-", 40),
        ago(job.created_at, now).replace(" ago", ""),
        format_duration(job.duration),
        summary_cell(job),
    )


def table_plain(jobs: Sequence[Job], now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    rows = [TABLE_HEADERS, *(table_row(j, now) for j in jobs)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_HEADERS) - 1)]
    lines = []
    for row in rows:
        cells = [f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


# --- rich (terminal) ----------------------------------------------------------


def make_console(file: IO[str] | None = None) -> Console:
    from rich.console import Console

    return Console(file=file, highlight=False, markup=False, emoji=False, soft_wrap=False)


def status_text(job: Job) -> Text:
    from rich.text import Text

    style = STATUS_STYLE[job.status]
    return Text(f"{STATUS_MARK[job.status]} {status_label(job)}", style=style)


def _link(value: str) -> Text:
    from rich.style import Style
    from rich.text import Text

    shown = one_line(value)
    if shown.lower().startswith(("http://", "https://")) and " " not in shown:
        return Text(shown, style=Style(link=shown, underline=True))
    return Text(shown)


def detail_rich(job: Job, now: datetime | None = None) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    now = now or datetime.now(timezone.utc)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("job", Text(f"{job.provider}:{one_line(job.id)}", style="bold"))
    for label, value in _detail_rows(job, now):
        if label == "status":
            grid.add_row(label, status_text(job))
        elif label in ("outputs", "") and value != "(none reported)":
            grid.add_row(label, _link(value))
        elif label == "error":
            grid.add_row(label, Text(value, style="red"))
        else:
            grid.add_row(label, Text(value))
    return grid


class Grid:
    """A one-line-per-row table for the terminal, cheap enough for thousands of rows.

    Columns are as wide as their content (at most 40 cells); the last takes what is
    left of the line and is cut with an ellipsis. rich's Table measures every cell
    several times, which costs ~0.4 s at 1,000 rows; this renders each row once.
    """

    GAP = 3

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[Text]]) -> None:
        self.headers = headers
        self.rows = rows
        self.widths = [
            min(40, max([len(h), *(r[n].cell_len for r in rows)])) for n, h in enumerate(headers[:-1])
        ]

    def _line(self, cells: Sequence[Text], last_width: int) -> Text:
        from rich.text import Text

        line = Text(no_wrap=True, overflow="ellipsis", end="")
        for cell, width in zip(cells, [*self.widths, last_width], strict=True):
            part = cell.copy()
            part.truncate(width, overflow="ellipsis", pad=width != last_width)
            line.append_text(part)
            if width != last_width:
                line.append(" " * self.GAP)
        line.rstrip()
        return line

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment
        from rich.text import Text

        used = sum(self.widths) + self.GAP * len(self.widths)
        last = max(10, options.max_width - used)
        header = self._line([Text(h, style="bold") for h in self.headers], last)
        yield from header.render(console)
        yield Segment.line()
        yield Segment("─" * min(options.max_width, used + last), console.get_style("dim"))
        yield Segment.line()
        for row in self.rows:
            yield from self._line(row, last).render(console)
            yield Segment.line()


def table_rich(jobs: Sequence[Job], now: datetime | None = None) -> RenderableType:
    from rich.text import Text

    now = now or datetime.now(timezone.utc)
    rows = []
    for job in jobs:
        cells = [Text(c) for c in table_row(job, now)]
        cells[2] = status_text(job)
        if job.error:
            cells[-1].stylize("red")
        elif len(job.outputs) == 1:
            cells[-1] = _link(job.outputs[0])
        rows.append(cells)
    return Grid(TABLE_HEADERS, rows)


def jobs_text(jobs: Sequence[Job], many: bool) -> str:
    """A table (``many``) or the first job's detail view: rich on a terminal, plain otherwise."""
    if not is_terminal():
        return table_plain(jobs) if many else detail_plain(jobs[0])
    console = make_console()
    with console.capture() as captured:
        console.print(table_rich(jobs) if many else detail_rich(jobs[0]))
    return captured.get().rstrip("\n")


def live_display(stream: IO[str] | None = None) -> bool:
    """Redraw in place only on a terminal that has not asked for NO_COLOR."""
    return is_terminal(stream) and "NO_COLOR" not in os.environ


def is_terminal(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
