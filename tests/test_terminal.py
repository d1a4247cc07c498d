"""Real terminals: tables that fit 60 to 200 columns, TERM=dumb, an ASCII-only stdout."""

# ruff: noqa: E501  (the expected lines of a 200-column table are 200 columns wide)

from __future__ import annotations

import io
import json
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from clocks import StoppedClock
from conftest import CREATIFY_ID, KREA_ID, make_environment, run_process
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console, RenderableType

from jobctl._text import one_line
from jobctl._watch.events import JobChanged
from jobctl._watch.schedule import Tracked
from jobctl.cli.context import utf_encoding
from jobctl.cli.output.grid import cut_middle
from jobctl.cli.output.live import LiveTable
from jobctl.cli.output.stream import LinesView
from jobctl.cli.output.views import STATUS_MARK, error_text, table_rich
from jobctl.errors import ProviderError
from jobctl.model import Job, JobError, Status
from jobctl.refs import Ref
from jobctl.sim import Simulator, Step

NOW = datetime(2026, 11, 20, 10, 0, 0, tzinfo=timezone.utc)
FAILED_KREA = "9b1f6c1e-3f0a-4c55-9d1e-7f2d8a0c4b11"
WIDTHS = (60, 80, 100, 120, 200)
FAST = ("--interval", "0.05", "--max-interval", "0.1")


def render(renderable: RenderableType, width: int, encoding: str = "utf-8") -> list[str]:
    """``renderable`` laid out for ``width`` cells, as lines without trailing blanks.

    The console itself is much wider, so a line the layout makes too long shows as
    too long instead of being cropped (without an ellipsis) by rich.
    """
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding=encoding)  # strict: a glyph it cannot carry raises
    console = Console(file=stream, width=1000, height=40, color_system=None, highlight=False, markup=False)
    console.print(renderable, width=width)
    stream.flush()
    return [line.rstrip() for line in buffer.getvalue().decode(encoding).splitlines()]


def finished(provider: str, job_id: str, status: Status, word: str, **fields: Any) -> Job:
    return Job(
        provider,
        job_id,
        status,
        word,
        created_at=NOW - timedelta(seconds=95),
        finished_at=NOW - timedelta(seconds=84),
        **fields,
    )


JOBS = [
    finished(
        "krea",
        KREA_ID,
        Status.SUCCEEDED,
        "completed",
        outputs=(f"https://gen.krea.ai/images/{KREA_ID}.png",),
    ),
    finished(
        "krea",
        FAILED_KREA,
        Status.FAILED,
        "failed",
        error=JobError("nsfw_content", "The prompt was flagged by the safety filter"),
    ),
    finished(
        "creatify",
        CREATIFY_ID,
        Status.FAILED,
        "rejected",
        kind="image_to_video",
        error=JobError(None, "Input image is too small"),
    ),
    Job(
        "aisquare",
        "1042",
        Status.RUNNING,
        "RUNNING",
        kind="BLOG_GENERATION",
        created_at=NOW - timedelta(seconds=95),
    ),
]

GET_TABLES = {
    60: [
        "PROVIDER  ID             STATUS       OUTPUT / ERROR",
        "────────────────────────────────────────────────────────────",
        "krea      4dd4ae…abdd20  ✓ succeeded  https://gen.krea.ai/i…",
        "krea      9b1f6c…0c4b11  ✗ failed     [nsfw_content] The pr…",
        "creatify  2f8c6e…0e1f32  ✗ failed     Input image is too sm…",
        "aisquare  1042           ▶ running",
    ],
    80: [
        "PROVIDER  ID                       STATUS       TOOK  OUTPUT / ERROR",
        "────────────────────────────────────────────────────────────────────────────────",
        "krea      4dd4aefd-2a…cd10dabdd20  ✓ succeeded  11s   https://gen.krea.ai/image…",
        "krea      9b1f6c1e-3f…f2d8a0c4b11  ✗ failed     11s   [nsfw_content] The prompt…",
        "creatify  2f8c6e1a-5b…c4b8d0e1f32  ✗ failed     11s   Input image is too small",
        "aisquare  1042                     ▶ running    -",
    ],
    100: [
        "PROVIDER  ID                                    STATUS       TOOK  OUTPUT / ERROR",
        "─" * 100,
        f"krea      {KREA_ID}  ✓ succeeded  11s   https://gen.krea.ai/images/4dd4a…",
        f"krea      {FAILED_KREA}  ✗ failed     11s   [nsfw_content] The prompt was fl…",
        f"creatify  {CREATIFY_ID}  ✗ failed     11s   Input image is too small",
        "aisquare  1042                                  ▶ running    -",
    ],
    120: [
        "PROVIDER  ID                                    STATUS                   TOOK  OUTPUT / ERROR",
        "─" * 120,
        f"krea      {KREA_ID}  ✓ succeeded (completed)  11s   https://gen.krea.ai/images/4dd4aefd-2ad8…",
        f"krea      {FAILED_KREA}  ✗ failed                 11s   [nsfw_content] The prompt was flagged by…",
        f"creatify  {CREATIFY_ID}  ✗ failed (rejected)      11s   Input image is too small",
        "aisquare  1042                                  ▶ running (RUNNING)      -",
    ],
    200: [
        "PROVIDER  ID                                    STATUS                   KIND             AGE    TOOK  OUTPUT / ERROR",
        "─" * 200,
        f"krea      {KREA_ID}  ✓ succeeded (completed)  -                1m35s  11s   https://gen.krea.ai/images/{KREA_ID}.png",
        f"krea      {FAILED_KREA}  ✗ failed                 -                1m35s  11s   [nsfw_content] The prompt was flagged by the safety filter",
        f"creatify  {CREATIFY_ID}  ✗ failed (rejected)      image_to_video   1m35s  11s   Input image is too small",
        "aisquare  1042                                  ▶ running (RUNNING)      BLOG_GENERATION  1m35s  -",
    ],
}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_job_table_fits_the_width_and_shows_provider_id_status_and_output_start(width: int) -> None:
    assert render(table_rich(JOBS, NOW), width) == GET_TABLES[width]


def tracked(job: Job, changed_at: float = 100.0) -> Tracked:
    item = Tracked(Ref(job.provider, job.id), 2.0, changed_at=changed_at)
    item.job = job
    item.final = job.done
    item.shown_changed = True  # as Schedule.record marks a job seen for the first time
    return item


def watched() -> list[Tracked]:
    retrying = Tracked(Ref("gepetto", "gp_8Kq2xR7wLm"), 2.0, changed_at=100.0)
    retrying.error = ProviderError("gepetto:gp_8Kq2xR7wLm: HTTP 503 after 3 tries")
    waiting = Tracked(Ref("unstructured", "3c90c3cc-0d44-4b50-8888-8dd25736052a"), 2.0, changed_at=100.0)
    return [*(tracked(j) for j in JOBS), retrying, waiting]


def live_lines(items: list[Tracked], width: int, now: datetime = NOW, encoding: str = "utf-8") -> list[str]:
    stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    sink = LiveTable(Console(file=stream, width=width, height=40), items, marks=utf_encoding(encoding))
    return render(sink.render(now, mono=111.0), width, encoding)


SUMMARY = "1 running · 1 succeeded · 2 failed · 1 error · 1 waiting"
LIVE_TABLES = {
    60: [
        "PROVIDER      ID             STATUS       OUTPUT / ERROR /…",
        "─" * 60,
        "krea          4dd4ae…abdd20  ✓ succeeded  https://gen.krea.…",
        "krea          9b1f6c…0c4b11  ✗ failed     [nsfw_content] Th…",
        "creatify      2f8c6e…0e1f32  ✗ failed     Input image is to…",
        "aisquare      1042           ▶ running",
        "gepetto       gp_8Kq2xR7wLm  ! retrying   retrying: HTTP 50…",
        "unstructured  3c90c3…36052a  · waiting",
        SUMMARY,
    ],
    80: [
        "PROVIDER      ID                STATUS       ELAPSED  OUTPUT / ERROR / ACTIVITY",
        "─" * 80,
        "krea          4dd4aefd…dabdd20  ✓ succeeded  11s      https://gen.krea.ai/image…",
        "krea          9b1f6c1e…a0c4b11  ✗ failed     11s      [nsfw_content] The prompt…",
        "creatify      2f8c6e1a…d0e1f32  ✗ failed     11s      Input image is too small",
        "aisquare      1042              ▶ running    1m35s",
        "gepetto       gp_8Kq2xR7wLm     ! retrying   -        retrying: HTTP 503 after…",
        "unstructured  3c90c3cc…736052a  · waiting    -",
        SUMMARY,
    ],
    100: [
        "PROVIDER      ID                             STATUS       ELAPSED  OUTPUT / ERROR / ACTIVITY",
        "─" * 100,
        "krea          4dd4aefd-2ad8-…6-ecd10dabdd20  ✓ succeeded  11s      https://gen.krea.ai/images/4dd4a…",
        "krea          9b1f6c1e-3f0a-…e-7f2d8a0c4b11  ✗ failed     11s      [nsfw_content] The prompt was fl…",
        "creatify      2f8c6e1a-5b7d-…1-6c4b8d0e1f32  ✗ failed     11s      Input image is too small",
        "aisquare      1042                           ▶ running    1m35s",
        "gepetto       gp_8Kq2xR7wLm                  ! retrying   -        retrying: HTTP 503 after 3 tries",
        "unstructured  3c90c3cc-0d44-…8-8dd25736052a  · waiting    -",
        SUMMARY,
    ],
    120: [
        "PROVIDER      ID                                    STATUS       ELAPSED  OUTPUT / ERROR / ACTIVITY",
        "─" * 120,
        f"krea          {KREA_ID}  ✓ succeeded  11s      https://gen.krea.ai/images/4dd4aefd-2ad8-4a1e…",
        f"krea          {FAILED_KREA}  ✗ failed     11s      [nsfw_content] The prompt was flagged by the…",
        f"creatify      {CREATIFY_ID}  ✗ failed     11s      Input image is too small",
        "aisquare      1042                                  ▶ running    1m35s",
        "gepetto       gp_8Kq2xR7wLm                         ! retrying   -        retrying: HTTP 503 after 3 tries",
        "unstructured  3c90c3cc-0d44-4b50-8888-8dd25736052a  · waiting    -",
        SUMMARY,
    ],
    200: [
        "PROVIDER      ID                                    STATUS                   KIND             ELAPSED  CHANGED  OUTPUT / ERROR / ACTIVITY",
        "─" * 200,
        f"krea          {KREA_ID}  ✓ succeeded (completed)  -                11s      11s      https://gen.krea.ai/images/{KREA_ID}.png",
        f"krea          {FAILED_KREA}  ✗ failed                 -                11s      11s      [nsfw_content] The prompt was flagged by the safety filter",
        f"creatify      {CREATIFY_ID}  ✗ failed (rejected)      image_to_video   11s      11s      Input image is too small",
        "aisquare      1042                                  ▶ running (RUNNING)      BLOG_GENERATION  1m35s    11s",
        "gepetto       gp_8Kq2xR7wLm                         ! retrying               -                -        11s      retrying: HTTP 503 after 3 tries",
        "unstructured  3c90c3cc-0d44-4b50-8888-8dd25736052a  · waiting                -                -        11s",
        SUMMARY,
    ],
}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_live_watch_table_fits_the_width_and_shows_every_job(width: int) -> None:
    assert live_lines(watched(), width) == LIVE_TABLES[width]


@pytest.mark.parametrize("width", range(40, 201, 7))
def test_no_duration_is_ever_cut_into_a_different_number(width: int) -> None:
    rows = render(table_rich(JOBS, NOW), width)[2:] + live_lines(watched(), width)[2:8]
    for row in rows:
        assert len(row) <= width
        cut = [t for t in row.split() if any(d.startswith(t) and d != t for d in ("11s", "1m35s"))]
        assert cut == [], row


def test_an_id_is_cut_in_the_middle_but_never_so_that_two_ids_look_the_same() -> None:
    boom = JobError(None, "the render farm caught fire")
    twins = [
        finished("krea", f"4dd4aefd-2ad8-4a1e-8156-{n}cd10dabdd20", Status.FAILED, "failed", error=boom)
        for n in (1, 2)
    ]
    assert render(table_rich(twins, NOW), 60)[2:] == [
        "krea      4dd4aefd-2ad…1cd10dabdd20  ✗ failed  the render f…",
        "krea      4dd4aefd-2ad…2cd10dabdd20  ✗ failed  the render f…",
    ]
    assert cut_middle(KREA_ID, 13) == "4dd4ae…abdd20"
    assert cut_middle(KREA_ID, 13, "...") == "4dd4a...bdd20"
    assert cut_middle("日本語のジョブ番号", 9) == "日本…番号"  # two cells a character


def test_elapsed_stops_when_a_job_finishes() -> None:
    done_in_0s = Job("krea", "zero", Status.SUCCEEDED, "completed", created_at=NOW, finished_at=NOW)
    done_untimed = Job("krea", "untimed", Status.FAILED, "failed", created_at=NOW)
    running = Job("krea", "running", Status.RUNNING, "processing", created_at=NOW)
    items = [tracked(done_in_0s), tracked(done_untimed), tracked(running)]
    assert live_lines(items, 80, NOW + timedelta(hours=1))[2:] == [
        "krea      zero     ✓ succeeded (completed)  -     0s       11s",
        "krea      untimed  ✗ failed                 -     -        11s",
        "krea      running  ▶ running (processing)   -     1h00m    11s",
        "1 running · 1 succeeded · 1 failed",
    ]


def test_line_mode_stamps_each_change_in_utc_with_z() -> None:
    lines: list[str] = []
    at = datetime(2026, 11, 20, 11, 30, 5, tzinfo=timezone(timedelta(hours=1)))
    view = LinesView(lines.append, lines.append, lines.append, clock=StoppedClock(at.timestamp()))
    view.show(JobChanged(Ref("krea", FAILED_KREA), JOBS[1]))
    assert lines == [
        f"10:30:05Z  krea:{FAILED_KREA}  failed  [nsfw_content] The prompt was flagged by the safety filter"
    ]


def test_on_an_ascii_terminal_tables_use_ascii_marks_ellipses_and_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jobctl.cli.output.views import jobs_text

    monkeypatch.setenv("COLUMNS", "60")
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    env = make_environment(stdout=ascii_out, terminal=True)
    assert jobs_text(env, JOBS, many=True).splitlines() == [
        "PROVIDER  ID             STATUS     OUTPUT / ERROR",
        "-" * 60,
        "krea      4dd4a...bdd20  succeeded  https://gen.krea.ai/i...",
        "krea      9b1f6...c4b11  failed     [nsfw_content] The pr...",
        "creatify  2f8c6...e1f32  failed     Input image is too small",
        "aisquare  1042           running",
    ]
    assert live_lines(watched(), 60, encoding="ascii")[-4:] == [
        "aisquare      1042           running",
        "gepetto       gp_8Kq2xR7wLm  retrying   retrying: HTTP 50...",
        "unstructured  3c90c...6052a  waiting",
        "1 running, 1 succeeded, 2 failed, 1 error, 1 waiting",
    ]


# --- through the CLI ------------------------------------------------------------------------------

TIMELESS = {"created_at": None, "completed_at": None}
SECOND_KREA = "0c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5"


def add_three_krea_jobs(sim: Simulator) -> list[str]:
    done = {**TIMELESS, "result": {"urls": [f"https://gen.krea.ai/images/{KREA_ID}.png"]}}
    flagged = {
        **TIMELESS,
        "error": {"code": "nsfw_content", "message": "The prompt was flagged by the filter"},
    }
    sim.add_job("krea", KREA_ID, [Step(status="completed", fields=done)])
    sim.add_job("krea", FAILED_KREA, [Step(status="failed", fields=flagged)])
    sim.add_job("krea", SECOND_KREA, [Step(status="cancelled", fields=TIMELESS)])
    return [f"krea:{i}" for i in (KREA_ID, FAILED_KREA, SECOND_KREA)]


THREE_AT_80 = [
    "krea      4dd4aefd-2a…cd10dabdd20  ✓ succeeded  -     https://gen.krea.ai/image…",
    "krea      9b1f6c1e-3f…f2d8a0c4b11  ✗ failed     -     [nsfw_content] The prompt…",
    "krea      0c2d3e4f-5a…0b1c2d3e4f5  ⊘ cancelled  -",
]


def test_get_with_several_jobs_fits_80_columns(
    sim: Simulator, config_file: Path, jobctl: Any, on_a_terminal: None
) -> None:
    result = jobctl("get", *add_three_krea_jobs(sim))
    assert (result.code, result.err) == (0, "")
    assert result.lines == [
        "PROVIDER  ID                       STATUS       TOOK  OUTPUT / ERROR",
        "─" * 80,
        *THREE_AT_80,
    ]


def test_ls_fits_80_columns(sim: Simulator, config_file: Path, jobctl: Any, on_a_terminal: None) -> None:
    assert jobctl("get", *add_three_krea_jobs(sim)).code == 0
    result = jobctl("ls", "--all")
    assert (result.code, result.err) == (0, "")
    assert sorted(result.lines[2:]) == sorted(THREE_AT_80)


def test_watch_on_an_80_column_terminal_ends_with_a_table_that_fits(
    sim: Simulator, config_file: Path, jobctl: Any, on_a_terminal: None
) -> None:
    result = jobctl("watch", *add_three_krea_jobs(sim), "--until-done", *FAST)
    assert result.code == 1  # one failed, one cancelled
    assert result.lines == [
        "PROVIDER  ID                    STATUS       ELAPSED  OUTPUT / ERROR / ACTIVITY",
        "─" * 80,
        "krea      4dd4aefd-2…10dabdd20  ✓ succeeded  -        https://gen.krea.ai/image…",
        "krea      9b1f6c1e-3…d8a0c4b11  ✗ failed     -        [nsfw_content] The prompt…",
        "krea      0c2d3e4f-5…1c2d3e4f5  ⊘ cancelled  -",
        "1 succeeded · 1 failed · 1 cancelled   krea 3/120 per min",
    ]


@pytest.mark.parametrize("env", [{"TERM": "dumb"}, {"TERM": "unknown"}, {"NO_COLOR": "1"}])
def test_a_terminal_that_cannot_redraw_gets_one_line_per_change(
    env: dict[str, str], sim: Simulator, config_file: Path, jobctl: Any, on_a_terminal: None
) -> None:
    sim.add_job("krea", KREA_ID, [Step(status="completed", fields=TIMELESS)])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", *FAST, env=env)
    assert result.code == 0
    assert [re.sub(r"^\d\d:\d\d:\d\dZ", "HH:MM:SSZ", line) for line in result.lines] == [
        f"HH:MM:SSZ  krea:{KREA_ID}  succeeded (completed)  https://gen.krea.ai/images/{KREA_ID}.png"
    ]


DEMO_ENDS = [
    ("✓", "succeeded"),
    ("✗", "failed"),
    ("✓", "succeeded"),
    ("✗", "failed"),
    ("✓", "succeeded"),
    ("⊘", "cancelled"),
    ("✓", "succeeded"),
    ("✓", "succeeded"),
]


# --- narrower than the table: STATUS whole, then a line per job ---------------------------------

LINES_OF_JOBS = [
    f"✓ succeeded  krea:{KREA_ID}  https://gen.krea.ai/images/{KREA_ID}.png",
    f"✗ failed  krea:{FAILED_KREA}  [nsfw_content] The prompt was flagged by the safety filter",
    f"✗ failed  creatify:{CREATIFY_ID}  Input image is too small",
    "▶ running  aisquare:1042",
]
NARROW_GET_TABLES = {
    36: [
        "PROVIDER  ID             STATUS",
        "─" * 36,
        "krea      4dd4ae…abdd20  ✓ succeeded",
        "krea      9b1f6c…0c4b11  ✗ failed",
        "creatify  2f8c6e…0e1f32  ✗ failed",
        "aisquare  1042           ▶ running",
    ],
    # An output column of a few cells says nothing: it is left out, its room goes to the id.
    40: [
        "PROVIDER  ID                 STATUS",
        "─" * 40,
        "krea      4dd4aefd…0dabdd20  ✓ succeeded",
        "krea      9b1f6c1e…8a0c4b11  ✗ failed",
        "creatify  2f8c6e1a…8d0e1f32  ✗ failed",
        "aisquare  1042               ▶ running",
    ],
    **{width: LINES_OF_JOBS for width in (20, 25, 30, 35)},
}


def jobs_on_a_terminal(jobs: list[Job], width: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from jobctl.cli.output.views import jobs_text

    monkeypatch.setenv("COLUMNS", str(width))
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    return jobs_text(make_environment(stdout=stdout, terminal=True), jobs, many=True).splitlines()


@pytest.mark.parametrize("width", sorted(NARROW_GET_TABLES))
def test_below_the_table_s_width_get_and_ls_print_a_line_per_job_with_its_status_first(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert jobs_on_a_terminal(JOBS, width, monkeypatch) == NARROW_GET_TABLES[width]


def test_every_status_is_shown_whole_with_its_mark_at_any_width(monkeypatch: pytest.MonkeyPatch) -> None:
    for width in range(20, 201):
        shown = jobs_on_a_terminal(JOBS, width, monkeypatch)
        live = live_lines(watched(), width)
        for job in JOBS:
            word = f"{STATUS_MARK[job.status]} {job.status.value}"
            assert any(job.provider in line and word in line for line in shown), (width, word, shown)
            assert any(job.provider in line and word in line for line in live), (width, word, live)
        assert all(len(line) <= width for line in live), (width, live)  # a live frame never wraps


NARROW_LIVE = {
    40: [
        "PROVIDER      ID             STATUS",
        "─" * 40,
        "krea          4dd4ae…abdd20  ✓ succeeded",
        "krea          9b1f6c…0c4b11  ✗ failed",
        "creatify      2f8c6e…0e1f32  ✗ failed",
        "aisquare      1042           ▶ running",
        "gepetto       gp_8Kq2xR7wLm  ! retrying",
        "unstructured  3c90c3…36052a  · waiting",
        "1 running · 1 succeeded · 2 failed · 1…",
    ],
    30: [
        "✓ succeeded  krea:4dd4aefd-2a…",
        "✗ failed  krea:9b1f6c1e-3f0a-…",
        "✗ failed  creatify:2f8c6e1a-5…",
        "▶ running  aisquare:1042",
        "! retrying  gepetto:gp_8Kq2xR…",
        "· waiting  unstructured:3c90c…",
        "1 running · 1 succeeded · 2 f…",
    ],
    20: [
        "✓ succeeded  krea:4…",
        "✗ failed  krea:9b1f…",
        "✗ failed  creatify:…",
        "▶ running  aisquare…",
        "! retrying  gepetto…",
        "· waiting  unstruct…",
        "1 running · 1 succe…",
    ],
}


@pytest.mark.parametrize("width", sorted(NARROW_LIVE))
def test_a_live_table_narrowed_below_its_width_shows_a_line_per_job_cut_at_the_width(width: int) -> None:
    # watch starts in line mode on such a terminal; this is a terminal narrowed while it runs.
    assert live_lines(watched(), width) == NARROW_LIVE[width]


def test_watch_on_a_terminal_too_narrow_for_its_table_prints_a_line_per_change(
    sim: Simulator, config_file: Path, jobctl: Any, on_a_terminal: None
) -> None:
    sim.add_job("krea", KREA_ID, [Step(status="completed", fields=TIMELESS)])
    sim.add_job("unstructured", "3c90c3cc-0d44-4b50-8888-8dd25736052a", [Step(status="COMPLETED")])
    refs = (f"krea:{KREA_ID}", "unstructured:3c90c3cc-0d44-4b50-8888-8dd25736052a")
    narrow = jobctl("watch", *refs, "--until-done", *FAST, env={"COLUMNS": "39"})
    assert (narrow.code, narrow.err) == (0, "")
    assert sorted(re.sub(r"^\d\d:\d\d:\d\dZ", "HH:MM:SSZ", line) for line in narrow.lines) == [
        f"HH:MM:SSZ  krea:{KREA_ID}  succeeded (completed)  https://gen.krea.ai/images/{KREA_ID}.png",
        "HH:MM:SSZ  unstructured:3c90c3cc-0d44-4b50-8888-8dd25736052a  succeeded (COMPLETED)  "
        "3c90c3cc-out.json",
    ]
    wide_enough = jobctl("watch", *refs, "--until-done", *FAST, env={"COLUMNS": "40"})
    assert wide_enough.lines[:2] == ["PROVIDER      ID             STATUS", "─" * 40]


def test_get_and_ls_on_a_30_column_terminal_print_a_line_per_job(
    sim: Simulator, config_file: Path, jobctl: Any, on_a_terminal: None
) -> None:
    result = jobctl("get", *add_three_krea_jobs(sim), env={"COLUMNS": "30"})
    assert (result.code, result.err) == (0, "")
    lines = [
        f"✓ succeeded  krea:{KREA_ID}  https://gen.krea.ai/images/{KREA_ID}.png",
        f"✗ failed  krea:{FAILED_KREA}  [nsfw_content] The prompt was flagged by the filter",
        f"⊘ cancelled  krea:{SECOND_KREA}",
    ]
    assert result.lines == lines
    assert sorted(jobctl("ls", "--all").lines) == sorted(lines)


def test_the_demo_fits_80_columns_and_shows_every_sample_job(
    jobctl: Any, on_a_terminal: None, demo_tmp: Path
) -> None:
    from jobctl.sim.samples import SAMPLES

    result = jobctl("demo", "--speed", "0.05")
    assert (result.code, result.err) == (0, "")
    assert [line for line in result.lines if len(line) > 80] == []
    rows = result.lines[result.lines.index("─" * 80) + 1 :][: len(SAMPLES)]
    assert [row.split()[:4] for row in rows] == [
        [provider, job_id if len(job_id) <= 16 else f"{job_id[:8]}…{job_id[-7:]}", mark, word]
        for (provider, job_id, _), (mark, word) in zip(SAMPLES, DEMO_ENDS, strict=True)
    ]
    assert rows[1].endswith("  [nsfw_content] The prompt…")


# --- PYTHONIOENCODING=ascii -----------------------------------------------------------------------

NON_ASCII = "café ✓ 日本"
ESCAPED = "caf\\xe9 \\u2713 \\u65e5\\u672c"


@pytest.fixture
def non_ascii_failure(sim: Simulator, config_file: Path) -> None:
    error = {**TIMELESS, "error": {"code": "bad_input", "message": NON_ASCII}}
    sim.add_job("krea", KREA_ID, [Step(status="failed", fields=error)])
    sim.add_job("krea", SECOND_KREA, [Step(status="processing", fields=TIMELESS)])


def ascii_run(*args: str) -> Any:
    result = run_process(*args, "--no-track", env={"PYTHONIOENCODING": "ascii"})
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
    result.stdout.encode("ascii")
    return result


@pytest.mark.usefixtures("non_ascii_failure")
def test_an_ascii_stdout_gets_provider_text_escaped_in_the_detail_view() -> None:
    result = ascii_run("get", "krea", KREA_ID)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"job:    krea:{KREA_ID}",
        "status: failed",
        f"error:  [bad_input] {ESCAPED}",
    ]


@pytest.mark.usefixtures("non_ascii_failure")
def test_an_ascii_stdout_gets_provider_text_escaped_in_the_table() -> None:
    result = ascii_run("get", f"krea:{KREA_ID}", f"krea:{SECOND_KREA}")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1:] == [
        f"krea      {KREA_ID}  failed                -     -    -     [bad_input] {ESCAPED}",
        f"krea      {SECOND_KREA}  running (processing)  -     -    -",
    ]


@pytest.mark.usefixtures("non_ascii_failure")
def test_an_ascii_stdout_gets_provider_text_escaped_in_watch_line_mode() -> None:
    result = ascii_run("watch", f"krea:{KREA_ID}", "--until-done", *FAST)
    assert (result.returncode, result.stderr) == (1, "")
    assert [line[11:] for line in result.stdout.splitlines()] == [
        f"krea:{KREA_ID}  failed  [bad_input] {ESCAPED}"
    ]


@pytest.mark.usefixtures("non_ascii_failure")
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("get", "krea", KREA_ID, "--json"), 0),
        (("get", f"krea:{KREA_ID}", f"krea:{SECOND_KREA}", "--json"), 0),
        (("watch", f"krea:{KREA_ID}", "--until-done", "--json", *FAST), 1),
    ],
    ids=["object", "array", "ndjson"],
)
def test_an_ascii_stdout_gets_json_with_unicode_escapes(args: tuple[str, ...], code: int) -> None:
    result = ascii_run(*args)
    assert (result.returncode, result.stderr) == (code, "")
    assert '"message":"caf\\u00e9 \\u2713 \\u65e5\\u672c"' in result.stdout.replace(": ", ":")
    first = json.loads(result.stdout.splitlines()[0] if "watch" in args else result.stdout)
    job = first[0] if isinstance(first, list) else first
    assert job["error"] == {"code": "bad_input", "message": NON_ASCII}


def test_a_queued_job_is_marked_with_a_glyph_that_does_not_read_as_a_cut() -> None:
    queued = [
        Job("krea", KREA_ID, Status.QUEUED, "backlogged"),
        Job("krea", FAILED_KREA, Status.QUEUED, "queued"),
    ]
    assert render(table_rich(queued, NOW), 60)[2:] == [
        "krea      4dd4aefd-2ad8-4a1…156-ecd10dabdd20  ○ queued  -",
        "krea      9b1f6c1e-3f0a-4c5…d1e-7f2d8a0c4b11  ○ queued  -",
    ]


def test_the_simulator_profile_fits_80_columns_and_reads_back_as_the_profile(sim: Simulator) -> None:
    import yaml

    from jobctl.cli.simulator import profile_yaml

    text = profile_yaml(sim)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert yaml.safe_load(text) == {"default_profile": "sim", "profiles": {"sim": sim.profile()}}


@given(
    texts=st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=4),
    width=st.integers(min_value=40, max_value=200),
)
@settings(max_examples=60, deadline=None)
def test_any_provider_text_keeps_each_row_on_one_line_within_the_width(texts: list[str], width: int) -> None:
    from rich.cells import cell_len

    jobs = [
        Job("krea", f"{n}-{text}", Status.FAILED, text, kind=text, error=JobError(text, text))
        for n, text in enumerate(texts)
    ]
    lines = render(table_rich(jobs, NOW), width)
    assert len(lines) == 2 + len(jobs)  # one line a row: nothing wrapped
    assert max(cell_len(line) for line in lines) <= width
    if "OUTPUT / ERROR" not in lines[0]:  # too narrow to say anything there: left out
        return
    for line, job in zip(lines[2:], jobs, strict=True):
        assert line.endswith(("…", one_line(error_text(job) or ""))), line


# --- the live footer ----------------------------------------------------------------------------

FIVE = ("krea", "creatify", "unstructured", "gepetto", "aisquare")


def five_providers_watched(limits: dict[str, float] | None = None, encoding: str = "utf-8") -> LiveTable:
    """A live table of one running job per provider, each provider asked once."""
    from jobctl._watch.policy import LikelihoodSchedule
    from jobctl._watch.schedule import Budget

    clock = lambda: 100.0  # noqa: E731
    budgets = {p: Budget((limits or {}).get(p, 2.0), clock) for p in FIVE}
    schedule = LikelihoodSchedule([Ref(p, "a1") for p in FIVE], budgets, clock=clock, rng=random.Random(1))
    ready, _ = schedule.due()
    for item in ready:
        schedule.record(item, Job(item.ref.provider, item.ref.id, Status.RUNNING, "processing"))
    console = Console(file=io.TextIOWrapper(io.BytesIO(), encoding=encoding), width=200, height=40)
    return LiveTable(console, schedule.items, marks=utf_encoding(encoding), budget_line=schedule.budget_line)


FOOTERS = {
    200: [
        "5 running   aisquare 1/120 per min · creatify 1/120 per min · gepetto 1/120 per min · krea 1/120 per min · unstructured 1/120 per min"
    ],
    100: ["5 running   per min (of 120): aisquare 1 · creatify 1 · gepetto 1 · krea 1 · unstructured 1"],
    80: ["5 running", "per min (of 120): aisquare 1 · creatify 1 · gepetto 1 · krea 1 · unstructured 1"],
    60: ["5 running", "per min (of 120): aisquare 1 · creatify 1 · gepetto 1 · kre…"],
}


@pytest.mark.parametrize("width", sorted(FOOTERS))
def test_the_budget_line_of_five_providers_never_wraps_the_footer(width: int) -> None:
    lines = render(five_providers_watched().render(), width)
    assert lines[7:] == FOOTERS[width]
    assert all(len(line) <= width for line in lines)


def test_a_compact_budget_line_keeps_each_limit_when_the_limits_differ() -> None:
    lines = render(five_providers_watched({"gepetto": 0.5}).render(), 100)
    assert lines[7:] == [
        "5 running",
        "per min: aisquare 1/120 · creatify 1/120 · gepetto 1/30 · krea 1/120 · unstructured 1/120",
    ]


def test_on_an_ascii_terminal_the_budget_line_is_cut_with_three_dots() -> None:
    lines = render(five_providers_watched(encoding="ascii").render(), 60, "ascii")
    assert lines[7:] == ["5 running", "per min (of 120): aisquare 1, creatify 1, gepetto 1, krea..."]


def test_a_summary_wider_than_the_terminal_is_cut_not_wrapped() -> None:
    from rich.text import Text

    from jobctl.cli.output.live import Footer

    summary = Text("3 running · 2 succeeded · 1 failed   (40 more not shown)")
    assert render(Footer(summary, None, ascii_only=False), 30) == ["3 running · 2 succeeded · 1 f…"]
    assert render(Footer(summary, lambda compact: "", ascii_only=True), 30) == [
        "3 running · 2 succeeded · 1..."
    ]
