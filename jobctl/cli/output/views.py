"""Show jobs: detail view, table, JSON and NDJSON; plain text when not on a terminal.

Provider text passes through ``clean`` before it reaches a terminal or a pipe, and
is handed to rich as ``Text`` (never markup). JSON never imports rich.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any, Literal, Union

from jobctl._text import clean, one_line
from jobctl._units import format_duration
from jobctl.model import Job, Status

__all__ = ["clean", "format_duration", "one_line"]  # re-exported for the views' users

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
    Status.QUEUED: "○",
    Status.RUNNING: "▶",
    Status.SUCCEEDED: "✓",
    Status.FAILED: "✗",
    Status.CANCELLED: "⊘",
    Status.UNKNOWN: "?",
}

_C1_AND_DEL = re.compile(r"[\x7f-\x9f]")


def dumps_json(value: Any, pretty: bool = False, ascii_only: bool | None = None) -> str:
    """JSON for stdout: unicode kept readable, but C1 controls and DEL escaped too.

    Everything beyond ASCII is escaped (``\\u00e9``) when ``ascii_only``, which by default
    means stdout's encoding is not a UTF (``PYTHONIOENCODING=ascii``, a latin-1 locale).
    """
    if ascii_only is None:
        ascii_only = not utf_encoding(getattr(sys.stdout, "encoding", None))
    text = json.dumps(
        value,
        ensure_ascii=ascii_only,
        indent=2 if pretty else None,
        separators=None if pretty else (",", ":"),
    )
    return _C1_AND_DEL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def utf_encoding(encoding: str | None) -> bool:
    """Whether text in ``encoding`` (None: unknown, taken as UTF-8) can carry any character."""
    try:
        return codecs.lookup(encoding or "utf-8").name.startswith("utf")
    except LookupError:
        return False


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


def when(value: datetime) -> str:
    """A timestamp for people: UTC to the second (JSON keeps the milliseconds)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _detail_rows(job: Job, now: datetime) -> list[tuple[str, str]]:
    rows = [("status", status_label(job))]
    if job.kind:
        rows.append(("kind", one_line(job.kind, 80)))
    if job.created_at:
        rows.append(("created", f"{when(job.created_at)} ({ago(job.created_at, now)})"))
    if job.updated_at and job.updated_at != job.finished_at:
        rows.append(("updated", f"{when(job.updated_at)} ({ago(job.updated_at, now)})"))
    if job.finished_at:
        rows.append(("finished", f"{when(job.finished_at)} ({ago(job.finished_at, now)})"))
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


def status_text(job: Job, marks: bool = True, compact: bool = False) -> Text:
    """The status with its mark (``marks``: the stream can carry one); ``compact``
    leaves out the provider's word unless the status is unknown without it."""
    from rich.text import Text

    label = job.status.value if compact and job.status is not Status.UNKNOWN else status_label(job)
    mark = f"{STATUS_MARK[job.status]} " if marks else ""
    return Text(mark + label, style=STATUS_STYLE[job.status])


def _link(value: str) -> Text:
    from rich.style import Style
    from rich.text import Text

    shown = one_line(value)
    if shown.lower().startswith(("http://", "https://")) and " " not in shown:
        return Text(shown, style=Style(link=shown, underline=True))
    return Text(shown)


def detail_rich(job: Job, now: datetime | None = None, marks: bool = True) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    now = now or datetime.now(timezone.utc)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("job", Text(f"{job.provider}:{one_line(job.id)}", style="bold"))
    for label, value in _detail_rows(job, now):
        if label == "status":
            grid.add_row(label, status_text(job, marks))
        elif label in ("outputs", "") and value != "(none reported)":
            grid.add_row(label, _link(value))
        elif label == "error":
            grid.add_row(label, Text(value, style="red"))
        else:
            grid.add_row(label, Text(value))
    return grid


@dataclass(frozen=True)
class Column:
    """One column of a ``Grid``: its header and how its values may be shortened.

    ``cut`` None means a value is shown whole or not at all (numbers, durations,
    statuses: ``11s`` must never read as ``11``); "middle" keeps an id's start and
    end; "end" cuts text after its start. Either way an ellipsis shows the cut.
    """

    header: str
    cut: Literal["middle", "end"] | None = None
    min_width: int = 0  # the narrowest a "cut" step makes it
    max_width: int | None = None  # wider values are always cut (at the end)


# How a Grid gives way when the line is short of room: each step is taken in turn
# until the last column has room for the start of its text.
Step = tuple[Literal["drop", "compact", "cut"], str]

# A cell is a Text, or (full, compact) forms of it; "compact" switches to the second.
Cell = Union["Text", tuple["Text", "Text"]]


class Grid:
    """A one-line-per-row table that fits the width it is given, cheap for thousands of rows.

    Columns are as wide as their content; the last takes what is left of the line and
    is cut at the end. When the line is short, ``steps`` drop or shorten columns in
    order (see README, "Narrow terminals"). rich's Table measures every cell several
    times, which costs ~0.4 s at 1,000 rows; this measures once and renders each row once.
    """

    GAP = 2
    # Steps are taken until the last column has this many cells, or a third of the line.
    LAST_MIN = 20

    def __init__(self, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], steps: Sequence[Step] = ()):
        self.columns = columns
        self.rows = [[c if isinstance(c, tuple) else (c, c) for c in row] for row in rows]
        self.steps = steps
        self.index = {c.header: n for n, c in enumerate(columns)}
        # Natural width of each column in each form (full, compact), header included.
        self.natural = [
            tuple(
                min(
                    col.max_width or 1_000_000,
                    max([len(col.header), *(r[n][f].cell_len for r in self.rows)]),
                )
                for f in (0, 1)
            )
            for n, col in enumerate(columns)
        ]

    def layout(self, width: int, ellipsis: str) -> tuple[list[int], list[int], list[int]]:
        """(columns shown, form of each column, width of each column) for a line of ``width`` cells."""
        last = len(self.columns) - 1
        shown = list(range(last))
        form = [0] * len(self.columns)
        widths = [nat[0] for nat in self.natural]
        # Room for the last column's text, not its header: an empty column costs nothing.
        content = max((row[last][0].cell_len for row in self.rows), default=0)
        want = min(content, max(self.LAST_MIN, width // 3))

        def short() -> int:
            return want - (width - sum(widths[n] + self.GAP for n in shown))

        for action, header in self.steps:
            if short() <= 0:
                break
            n = self.index[header]
            if action == "drop":
                shown.remove(n)
            elif action == "compact":
                form[n], widths[n] = 1, self.natural[n][1]
            else:
                floor = max(self.columns[n].min_width, len(ellipsis) + 2)
                widths[n] = self._distinct_width(n, max(floor, widths[n] - short()), ellipsis)
        widths[last] = max(0, width - sum(widths[n] + self.GAP for n in shown))
        return [*shown, last], form, widths

    def _distinct_width(self, n: int, width: int, ellipsis: str) -> int:
        """``width``, widened until no two different ids are cut to the same text."""
        values = {row[n][0].plain for row in self.rows}
        while width < self.natural[n][0]:
            if len({cut_middle(v, width, ellipsis) for v in values}) == len(values):
                break
            width += 1
        return width

    def _line(
        self,
        cells: Sequence[Text],
        columns: Sequence[Column],
        widths: Sequence[int],
        width: int,
        ellipsis: str,
    ) -> Text:
        from rich.text import Text

        line = Text(no_wrap=True, end="")
        used = 0
        for n, (cell, column, cell_width) in enumerate(zip(cells, columns, widths, strict=True)):
            part = fit(cell, cell_width, ellipsis, column.cut or "end")
            shown = part.cell_len
            pad = cell_width - shown if n < len(cells) - 1 and shown < cell_width else 0
            line.append_text(part)
            if n < len(cells) - 1:
                line.append(" " * (pad + self.GAP))
            used += shown + pad + self.GAP
        line.rstrip()
        return line if used - self.GAP <= width else fit(line, width, ellipsis)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment
        from rich.text import Text

        ellipsis = "..." if options.ascii_only else "…"
        width = options.max_width
        shown, form, all_widths = self.layout(width, ellipsis)
        columns = [self.columns[n] for n in shown]
        widths = [all_widths[n] for n in shown]
        headers = [Text(c.header, style="bold") for c in columns]
        yield from self._line(headers, columns, widths, width, ellipsis).render(console)
        yield Segment.line()
        rule = "-" if options.ascii_only else "─"
        yield Segment(rule * min(width, sum(widths) + self.GAP * (len(widths) - 1)), console.get_style("dim"))
        yield Segment.line()
        for row in self.rows:
            cells = [row[n][form[n]] for n in shown]
            yield from self._line(cells, columns, widths, width, ellipsis).render(console)
            yield Segment.line()


def cut_middle(value: str, width: int, ellipsis: str = "…") -> str:
    """``value`` in at most ``width`` cells, its start and end kept around an ellipsis."""
    from rich.cells import cell_len

    if cell_len(value) <= width:
        return value
    room = max(0, width - len(ellipsis))
    head = _take(value, room - room // 2)
    tail = _take(value[::-1], room // 2)[::-1]
    return head + ellipsis + tail


def _take(value: str, cells: int) -> str:
    """The longest start of ``value`` that fits in ``cells``."""
    if value.isascii():  # clean text: one cell a character
        return value[: max(0, cells)]
    from rich.cells import cell_len

    total = 0
    for n, char in enumerate(value):
        total += cell_len(char)
        if total > cells:
            return value[:n]
    return value


def fit(text: Text, width: int, ellipsis: str = "…", where: str = "end") -> Text:
    """``text`` cut to ``width`` cells with an ellipsis (at its end or in its middle)."""
    if text.cell_len <= width:
        return text
    from rich.text import Text

    if where == "middle":
        return Text(cut_middle(text.plain, width, ellipsis), style=text.style)
    if width <= len(ellipsis):
        return Text(ellipsis[:width], style=text.style)
    part = text.copy()
    part.plain = _take(part.plain, width - len(ellipsis)).rstrip()
    part.append(ellipsis)
    return part


TABLE_COLUMNS = (
    Column("PROVIDER"),
    Column("ID", cut="middle", min_width=13),
    Column("STATUS"),
    Column("KIND", cut="end", max_width=20),
    Column("AGE"),
    Column("TOOK"),
    Column("OUTPUT / ERROR", cut="end"),
)
# The order in which `get` and `ls` give way on a narrow terminal (README, "Narrow terminals").
TABLE_STEPS: tuple[Step, ...] = (
    ("drop", "AGE"),
    ("drop", "KIND"),
    ("compact", "STATUS"),
    ("cut", "ID"),
    ("drop", "TOOK"),
)


def unicode_ok(console: Console) -> bool:
    """Whether ``console``'s stream can carry the status marks and the ellipsis."""
    return utf_encoding(console.encoding)


def table_rich(jobs: Sequence[Job], now: datetime | None = None, marks: bool = True) -> RenderableType:
    from rich.text import Text

    now = now or datetime.now(timezone.utc)
    rows: list[list[Cell]] = []
    for job in jobs:
        plain = table_row(job, now)
        cells: list[Cell] = [Text(c) for c in plain]
        cells[2] = (status_text(job, marks), status_text(job, marks, compact=True))
        cells[-1] = (
            Text(plain[-1], style="red")
            if job.error
            else _link(job.outputs[0])
            if len(job.outputs) == 1
            else Text(plain[-1])
        )
        rows.append(cells)
    return Grid(TABLE_COLUMNS, rows, TABLE_STEPS)


def jobs_text(jobs: Sequence[Job], many: bool) -> str:
    """A table (``many``) or the first job's detail view: rich on a terminal, plain otherwise."""
    if not is_terminal():
        return table_plain(jobs) if many else detail_plain(jobs[0])
    console = make_console()
    marks = unicode_ok(console)
    with console.capture() as captured:
        console.print(table_rich(jobs, marks=marks) if many else detail_rich(jobs[0], marks=marks))
    # rich pads the detail grid to its widest line; trailing blanks only get in the way.
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


def live_display(stream: IO[str] | None = None) -> bool:
    """Redraw in place only on a terminal that can (not TERM=dumb) and has not asked for NO_COLOR."""
    can_redraw = os.environ.get("TERM", "").lower() not in ("dumb", "unknown")
    return is_terminal(stream) and can_redraw and "NO_COLOR" not in os.environ


def is_terminal(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
