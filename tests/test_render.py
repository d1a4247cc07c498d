"""Rendering: plain views, the terminal grid, the live watch table, and text safety."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from jobctl._text import clean
from jobctl._watch.schedule import Tracked
from jobctl.cli.context import dumps_json
from jobctl.cli.output.live import LiveTable, summary
from jobctl.cli.output.views import detail_plain, table_plain, table_rich
from jobctl.model import Job, JobError, Status
from jobctl.refs import Ref

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)


def job(n: int = 0, status: Status = Status.RUNNING, **kw: object) -> Job:
    fields: dict[str, object] = {
        "kind": "text-to-image",
        "created_at": NOW - timedelta(seconds=90),
        "provider_status": "processing",
    }
    fields.update(kw)
    return Job("krea", f"job-{n}", status, **fields)  # type: ignore[arg-type]


def terminal(width: int = 120, height: int = 40) -> Console:
    return Console(
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        width=width,
        height=height,
        highlight=False,
        markup=False,
        emoji=False,
    )


def test_detail_view_lists_what_a_user_asks_first() -> None:
    done = job(
        status=Status.FAILED,
        provider_status="failed",
        finished_at=NOW - timedelta(seconds=30),
        error=JobError("nsfw", "flagged"),
    )
    assert detail_plain(done, NOW).splitlines() == [
        "job:      krea:job-0",
        "status:   failed",
        "kind:     text-to-image",
        "created:  2026-11-23T11:58:30Z (1m30s ago)",
        "finished: 2026-11-23T11:59:30Z (30s ago)",
        "took:     1m00s",
        "error:    [nsfw] flagged",
    ]


def test_plain_table_aligns_columns_and_shows_output_or_error() -> None:
    jobs = [
        job(1, Status.SUCCEEDED, provider_status="completed", outputs=("https://x/1.png", "https://x/2.png")),
        job(22, Status.FAILED, provider_status="failed", error=JobError(None, "boom")),
    ]
    assert table_plain(jobs, NOW).splitlines() == [
        "PROVIDER  ID      STATUS                 KIND           AGE    TOOK  OUTPUT / ERROR",
        "krea      job-1   succeeded (completed)  text-to-image  1m30s  -     https://x/1.png (+1 more)",
        "krea      job-22  failed                 text-to-image  1m30s  -     boom",
    ]


def test_terminal_table_keeps_one_line_per_row_and_cuts_the_last_column() -> None:
    console = terminal(width=100)
    long_error = JobError("E1", "x" * 300)
    console.print(table_rich([job(1), job(2, Status.FAILED, error=long_error)], NOW))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 4
    assert "\x1b[" in lines[2]  # coloured status on a terminal
    plain = [Text.from_ansi(line).plain for line in lines]
    assert all(len(line) <= 100 for line in plain)
    assert lines[3].rstrip().endswith("…\x1b[0m")


def test_rendering_a_thousand_rows_yields_a_thousand_lines() -> None:
    console = terminal(width=160, height=50)
    with console.capture() as capture:
        console.print(table_rich([job(n) for n in range(1000)], NOW))
    assert len(capture.get().splitlines()) == 1002


def tracked(n: int, status: Status = Status.RUNNING, final: bool = False) -> Tracked:
    item = Tracked(Ref("krea", f"job-{n}"), 2.0, changed_at=float(n))
    item.job = job(n, status)
    item.final = final
    return item


def test_live_table_shows_every_row_and_a_summary_when_they_fit() -> None:
    items = [tracked(1), tracked(2, Status.SUCCEEDED, final=True)]
    console = terminal()
    sink = LiveTable(console, items)
    console.print(sink.render())
    text = console.file.getvalue()  # type: ignore[attr-defined]
    lines = [Text.from_ansi(line).plain.rstrip() for line in text.splitlines()]
    assert lines[0].split() == [
        "PROVIDER",
        "ID",
        "STATUS",
        "KIND",
        "ELAPSED",
        "CHANGED",
        "OUTPUT",
        "/",
        "ERROR",
        "/",
        "ACTIVITY",
    ]
    assert lines[2].startswith("krea      job-1  ▶ running (processing)")
    assert lines[3].startswith("krea      job-2  ✓ succeeded (processing)")
    assert lines[-1] == "1 running · 1 succeeded"


def test_live_table_with_500_rows_fits_the_screen_and_says_how_many_are_hidden() -> None:
    items = [tracked(n, Status.SUCCEEDED if n % 2 else Status.RUNNING, final=bool(n % 2)) for n in range(500)]
    console = terminal(height=30)
    sink = LiveTable(console, items)
    console.print(sink.render())
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert len(lines) <= 30
    assert "(477 more not shown)" in lines[-1]
    # The rows kept are unfinished ones, most recently changed first.
    assert "succeeded" not in "".join(lines[2:-1])


def test_summary_counts_states_and_errors() -> None:
    from jobctl.errors import ProviderError

    broken = tracked(3)
    broken.error = ProviderError("krea:job-3: HTTP 503")
    waiting = Tracked(Ref("krea", "job-4"), 2.0)
    items = [tracked(1), tracked(2, Status.FAILED, final=True), broken, waiting]
    assert summary(items) == "1 running · 1 failed · 1 error · 1 waiting"


HOSTILE = [
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "\x1b]0;title\x1b\\",
    "bell\x07 back\x08space",
    "c1\x9b31m",
    "del\x7f",
    "rtl\u202eoverride",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_clean_removes_escapes_and_controls(text: str) -> None:
    out = clean(text)
    assert not any(ord(c) < 32 and c != "\n" for c in out)
    assert not any(0x7F <= ord(c) <= 0x9F for c in out)
    assert "\u202e" not in out


@given(st.text())
def test_clean_never_leaves_a_control_character(text: str) -> None:
    out = clean(text)
    assert all(c == "\n" or (ord(c) >= 32 and not 0x7F <= ord(c) <= 0x9F) for c in out)


@given(st.text())
def test_json_output_keeps_the_data_and_escapes_controls(text: str) -> None:
    encoded = dumps_json({"error": text})
    assert json.loads(encoded) == {"error": text}
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in encoded)


def test_markup_in_provider_text_is_printed_literally() -> None:
    console = terminal()
    bad = job(status=Status.FAILED, error=JobError(None, "[bold red]pwned[/] :smile:"))
    console.print(table_rich([bad], NOW))
    plain = Text.from_ansi(console.file.getvalue()).plain  # type: ignore[attr-defined]
    assert "[bold red]pwned[/] :smile:" in plain
