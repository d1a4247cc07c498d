"""`watch --notify`: a bell on a terminal and a desktop notification naming how many jobs
succeeded and failed; a missing or broken notifier is never an error. The notifiers are
fake scripts on PATH that record how they were called."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import GEPETTO_ID, KREA_ID

from jobctl.cli.output.notify import notify
from jobctl.sim import Simulator

FAST = ("--interval", "0.05", "--max-interval", "0.1")


def fake_notifier(folder: Path, name: str, code: int = 0) -> Path:
    """An executable ``name`` in ``folder`` that writes its arguments, one a line, to ``name``.args."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{folder / name}.args'\nexit {code}\n")
    script.chmod(0o755)
    return folder / f"{name}.args"


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only this folder: no real notifier is ever found."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_watch_notify_names_how_many_succeeded_and_failed(
    sim: Simulator, config_file: Any, jobctl: Any, bin_dir: Path
) -> None:
    called = fake_notifier(bin_dir, "notify-send")
    sim.add_job("krea", KREA_ID, ["processing", "completed"])
    sim.add_job("gepetto", GEPETTO_ID, ["processing", "failed"])
    result = jobctl("watch", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "--until-done", "--notify", *FAST)
    assert result.code == 1
    assert result.err == ""
    assert called.read_text().splitlines() == ["--app-name=jobctl", "jobctl watch", "1 succeeded, 1 failed"]


def test_watch_notify_after_a_timeout_counts_the_unfinished(
    sim: Simulator, config_file: Any, jobctl: Any, bin_dir: Path
) -> None:
    called = fake_notifier(bin_dir, "notify-send")
    sim.add_job("krea", KREA_ID, ["completed"])
    sim.add_job("gepetto", GEPETTO_ID, ["processing"])
    result = jobctl(
        "watch",
        f"krea:{KREA_ID}",
        f"gepetto:{GEPETTO_ID}",
        "--until-done",
        "--timeout",
        "0.5",
        "--notify",
        *FAST,
    )
    assert result.code == 124
    assert called.read_text().splitlines()[-1] == "1 succeeded, 0 failed, 1 not done"


def test_watch_notify_counts_a_job_that_ended_in_an_error(
    sim: Simulator, config_file: Any, jobctl: Any, bin_dir: Path
) -> None:
    called = fake_notifier(bin_dir, "notify-send")
    sim.add_job("krea", KREA_ID, ["completed"])  # gepetto's job is unknown to the simulator: 404
    result = jobctl("watch", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "--until-done", "--notify", *FAST)
    assert result.code == 4
    assert called.read_text().splitlines()[-1] == "1 succeeded, 0 failed, 1 error"


def test_without_notify_no_notifier_runs(
    sim: Simulator, config_file: Any, jobctl: Any, bin_dir: Path
) -> None:
    called = fake_notifier(bin_dir, "notify-send")
    sim.add_job("krea", KREA_ID, ["completed"])
    assert jobctl("watch", f"krea:{KREA_ID}", "--until-done", *FAST).code == 0
    assert not called.exists()


@pytest.mark.parametrize("broken", [False, True], ids=["no notifier", "notifier fails"])
def test_a_missing_or_failing_notifier_is_no_error(
    broken: bool, sim: Simulator, config_file: Any, jobctl: Any, bin_dir: Path
) -> None:
    if broken:
        fake_notifier(bin_dir, "notify-send", code=1)
    sim.add_job("krea", KREA_ID, ["completed"])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--notify", *FAST)
    assert result.code == 0
    assert result.err == ""


def test_osascript_serves_where_notify_send_is_missing(bin_dir: Path) -> None:
    called = fake_notifier(bin_dir, "osascript")
    notify("2 succeeded, 0 failed", (), os.environ)
    assert called.read_text().splitlines() == [
        "-e",
        'display notification "2 succeeded, 0 failed" with title "jobctl watch"',
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bell_rings_on_the_first_terminal_only(bin_dir: Path) -> None:
    piped, tty, other_tty = io.StringIO(), Terminal(), Terminal()
    notify("1 succeeded, 0 failed", (piped, tty, other_tty), os.environ)
    assert (piped.getvalue(), tty.getvalue(), other_tty.getvalue()) == ("", "\a", "")


def test_no_bell_when_nothing_is_a_terminal(bin_dir: Path) -> None:
    piped = io.StringIO()
    notify("1 succeeded, 0 failed", (piped,), os.environ)
    assert piped.getvalue() == ""
    assert os.listdir(bin_dir) == []
