"""Show jobs: detail view, table and JSON; plain text when not on a terminal.

Provider text passes through ``clean`` before it reaches a terminal or a pipe, and
is handed to rich as ``Text`` (never markup). JSON never imports rich.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from jobctl._text import clean, one_line, status_label
from jobctl._units import format_duration
from jobctl.cli.output.grid import Cell, Column, Grid, Step
from jobctl.model import Job, Status

__all__ = ["clean", "format_duration", "one_line", "status_label"]  # re-exported for the views' users

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

    from jobctl.cli.context import Environment

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


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    return f"{format_duration(max(now - when, timedelta()))} ago"


def error_text(job: Job) -> str | None:
    if job.error is None:
        return None
    code = f"[{one_line(job.error.code, 60)}] " if job.error.code else ""
    return code + one_line(job.error.message or "", 400) if (code or job.error.message) else None


def when(value: datetime) -> str:
    """A timestamp for people: UTC to the second (JSON keeps the milliseconds)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_of(env: Environment) -> datetime:
    """The run's now, from its clock."""
    return datetime.fromtimestamp(env.clock.time(), timezone.utc)


SOON = timedelta(hours=1)  # outputs expiring within this, not downloaded, are pointed out


def _span(delta: timedelta) -> str:
    """``42 min`` up to an hour (rounded up: never more time than there is), then ``3h05m``."""
    seconds = delta.total_seconds()
    return f"{max(1, math.ceil(seconds / 60))} min" if seconds <= 3600 else format_duration(delta)


def expiry_text(job: Job, now: datetime) -> str | None:
    """What is known of when the provider deletes the job's outputs, for people."""
    if job.outputs_removed:
        return "outputs removed by the provider"
    if job.outputs_expire_at is None:
        return None
    left = job.outputs_expire_at - now
    if left > timedelta():
        return f"outputs expire in {_span(left)}"
    return f"outputs expired {_span(-left)} ago"


def expires_soon(job: Job, now: datetime, downloaded: bool) -> bool:
    """A succeeded job whose outputs go within the hour and were not downloaded."""
    at = job.outputs_expire_at
    return (
        job.status is Status.SUCCEEDED
        and not job.outputs_removed
        and at is not None
        and now < at <= now + SOON
        and not downloaded
    )


def expiry_note(jobs: Sequence[Job]) -> str:
    """The stderr lines under a list that holds jobs ``expires_soon`` picked: the cure."""
    refs = " ".join(f"{j.provider}:{j.id}" for j in jobs)
    return (
        f"outputs expiring within the hour, not downloaded: {refs}\n"
        f"save them: jobctl download {refs} -d DIR\n"
        "(jobctl watch --until-done --download DIR saves each job's files as it succeeds)"
    )


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
    if not job.outputs and job.status is Status.SUCCEEDED and not job.outputs_removed:
        rows.append(("outputs", "(none reported)"))
    expiry = expiry_text(job, now)
    if expiry:
        rows.append(("expiry", expiry))
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
    if job.outputs_removed:
        return "(outputs removed by the provider)"
    return ""


Refs = Collection[tuple[str, str]]


def table_row(job: Job, now: datetime, expiring: Refs = ()) -> tuple[str, ...]:
    """One row; a job in ``expiring`` says when its outputs go, ahead of them."""
    summary = summary_cell(job)
    if (job.provider, job.id) in expiring:
        summary = f"{expiry_text(job, now)}: {summary}"
    return (
        job.provider,
        one_line(job.id),
        status_label(job),
        one_line(job.kind or "-", 40),
        ago(job.created_at, now).replace(" ago", ""),
        format_duration(job.duration),
        summary,
    )


def table_plain(jobs: Sequence[Job], now: datetime | None = None, expiring: Refs = ()) -> str:
    now = now or datetime.now(timezone.utc)
    rows = [TABLE_HEADERS, *(table_row(j, now, expiring) for j in jobs)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_HEADERS) - 1)]
    lines = []
    for row in rows:
        cells = [f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


# --- rich (terminal) ----------------------------------------------------------


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


def row_line(row: Sequence[Cell]) -> Text:
    """A table row (PROVIDER, ID, STATUS first, the output or error last) as one line for
    a terminal too narrow for the table: the status first, so it stays whole, in its
    compact form (as the table has it by then), then the ref and the output or error."""
    from rich.text import Text

    status = row[2][1] if isinstance(row[2], tuple) else row[2]
    provider, job_id, last = (c[0] if isinstance(c, tuple) else c for c in (row[0], row[1], row[-1]))
    line = Text()
    line.append_text(status)
    line.append(f"  {provider.plain}:{job_id.plain}")
    if last.plain:
        line.append("  ")
        line.append_text(last)
    return line


def table_rich(
    jobs: Sequence[Job], now: datetime | None = None, marks: bool = True, expiring: Refs = ()
) -> Grid:
    from rich.text import Text

    now = now or datetime.now(timezone.utc)
    rows: list[list[Cell]] = []
    for job in jobs:
        plain = table_row(job, now, expiring)
        cells: list[Cell] = [Text(c) for c in plain]
        cells[2] = (status_text(job, marks), status_text(job, marks, compact=True))
        cells[-1] = (
            Text(plain[-1], style="red")
            if job.error
            else Text(plain[-1], style="yellow")
            if (job.provider, job.id) in expiring
            else _link(job.outputs[0])
            if len(job.outputs) == 1
            else Text(plain[-1])
        )
        rows.append(cells)
    return Grid(TABLE_COLUMNS, rows, TABLE_STEPS, line_of=row_line)


def jobs_text(env: Environment, jobs: Sequence[Job], many: bool, expiring: Refs = ()) -> str:
    """A table (``many``) or the first job's detail view: rich on a terminal, plain
    otherwise. Rows of ``expiring`` jobs say when their outputs go."""
    now = now_of(env)
    if not env.stdout_isatty:
        return table_plain(jobs, now, expiring) if many else detail_plain(jobs[0], now)
    console = env.console("stdout")
    marks = env.unicode("stdout")
    with console.capture() as captured:
        table = table_rich(jobs, now, marks=marks, expiring=expiring) if many else None
        if table is None:
            console.print(detail_rich(jobs[0], now, marks=marks))
        elif console.width >= table.narrowest("…" if marks else "..."):
            console.print(table)
        else:  # too narrow for the table with each status whole: a line per job, never cut
            for line in table.lines():
                console.print(line, soft_wrap=True)
    # rich pads the detail grid to its widest line; trailing blanks only get in the way.
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


def show_jobs(env: Environment, jobs: Sequence[Job], *, as_json: bool, raw: bool, many: bool) -> None:
    """One job: detail view / object. Several: table / array."""
    if as_json or raw:
        data = [j.to_dict(raw=raw) for j in jobs]
        if many:
            env.out_json(data)
        elif jobs:
            env.out_json(data[0])
        return
    if jobs:
        env.out(jobs_text(env, jobs, many))


def show_job_list(env: Environment, jobs: Sequence[Job], downloaded: Refs) -> None:
    """A table of ``jobs`` (``ls``); succeeded jobs whose outputs expire within the hour
    and are not in ``downloaded`` are marked, and stderr names the cure."""
    now = now_of(env)
    soon = [j for j in jobs if expires_soon(j, now, (j.provider, j.id) in downloaded)]
    env.out(jobs_text(env, jobs, many=True, expiring={(j.provider, j.id) for j in soon}))
    if soon:
        env.note(expiry_note(soon))
