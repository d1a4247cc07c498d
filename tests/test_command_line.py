"""The command line itself: Typer's usage errors in jobctl's one-line style, the help's
metavars, the duration syntax of `watch --timeout`, and how a run ends when the reader of
its stdout goes away or its stderr is closed (real processes, real pipes)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import KREA_ID

from jobctl.sim import Simulator, Step

USAGE_ERRORS = [
    (["get", "--bogus"], "no such option: --bogus; see jobctl get --help"),
    (["get", "krea:a", "--jsn"], "no such option: --jsn (did you mean --json?); see jobctl get --help"),
    (["get", "--profile"], "option '--profile' requires an argument; see jobctl get --help"),
    (["get", "krea", "a", "-p"], "option '-p' requires an argument; see jobctl get --help"),
    (
        ["watch", "krea:a", "--interval", "soon"],
        "invalid value for '--interval': 'soon' is not a number; see jobctl watch --help",
    ),
    (
        ["sim", "--port", "80a"],
        "invalid value for '--port': '80a' is not a whole number; see jobctl sim --help",
    ),
    (["config", "show", "--config"], "option '--config' requires an argument; see jobctl config show --help"),
    (["config", "show", "extra"], "got unexpected extra argument(s) (extra); see jobctl config show --help"),
    (["bogus"], "no such command 'bogus'; see jobctl --help"),
    (["config", "bogus"], "no such command 'bogus'; see jobctl config --help"),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_a_usage_error_is_one_error_line_naming_the_help_and_exits_2(
    args: list[str], message: str, jobctl: Any
) -> None:
    result = jobctl(*args)
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [f"error: {message}"]


HELP_METAVARS = [
    (["get"], ["-p, --profile NAME", "--config PATH"]),
    (["watch"], ["--interval SECONDS", "--max-interval SECONDS", "--timeout DURATION", "-p, --profile NAME"]),
    (["sim"], ["--port PORT", "--latency SECONDS", "--speed FACTOR"]),
    (["demo"], ["--speed FACTOR"]),
    (["gallery"], ["-o, --output FILE", "-p, --profile NAME"]),
    (["config", "check"], ["-p, --profile NAME"]),
]


@pytest.mark.parametrize(("command", "options"), HELP_METAVARS, ids=[" ".join(c) for c, _ in HELP_METAVARS])
def test_help_names_what_each_option_value_means_not_its_type(
    command: list[str], options: list[str], jobctl: Any
) -> None:
    result = jobctl(*command, "--help")
    assert result.code == 0
    starts = [line.strip() for line in result.lines]
    for option in options:
        assert any(re.match(rf"{re.escape(option)}(\s|$)", line) for line in starts), option
    assert not re.search(r"<(float|int|str)>|\b(FLOAT|INTEGER|TEXT)\b", result.out)


@pytest.mark.parametrize("timeout", ["1h30m", "2m30s", "1d", "1h 30m"])
def test_watch_accepts_a_compound_timeout(
    timeout: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--json", "--timeout", timeout)
    assert result.code == 0, result.err


def test_a_compound_timeout_out_of_order_is_a_usage_error(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--timeout", "30m1h")
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        "error: --timeout '30m1h' is not a duration; use e.g. 90, 90s, 10m, 1h30m or 1d"
    ]
    assert sim.requests_for() == []


# --- pipes: a reader that goes away, a closed stderr ---------------------------------------------

SIGPIPE_DEATH = -signal.SIGPIPE  # how subprocess reports a process killed by SIGPIPE (141 in a shell)


def into_a_closed_pipe(*args: str, stdin: str = "") -> tuple[int, str]:
    """Run jobctl with its stdout's reader gone before it writes (``| head -c0``): its exit
    status and its stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobctl", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stdin.write(stdin.encode())
    proc.stdin.close()
    err = proc.stderr.read().decode()
    return proc.wait(timeout=30), err


def test_ls_into_a_closed_pipe_ends_as_killed_by_sigpipe(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl("get", f"krea:{KREA_ID}").code == 0
    assert into_a_closed_pipe("ls", "--all") == (SIGPIPE_DEATH, "")


def test_download_json_into_a_closed_pipe_keeps_the_files_and_ends_as_killed_by_sigpipe(
    sim: Simulator, config_file: Path, tmp_path: Path
) -> None:
    sim.add_file("a.png", 1000, content_type="image/png")
    sim.add_job("krea", KREA_ID, [Step("completed", fields={"result": {"urls": [sim.file_url("a.png")]}})])
    path = tmp_path / f"krea-{KREA_ID}.png"
    code, err = into_a_closed_pipe("download", f"krea:{KREA_ID}", "-d", str(tmp_path), "--json", "--no-track")
    assert (code, err) == (SIGPIPE_DEATH, f"krea:{KREA_ID}: {path} (1000 B)\n")
    assert path.stat().st_size == 1000


def test_watch_until_done_into_head_exits_141_while_its_job_is_unfinished(
    sim: Simulator, config_file: Path
) -> None:
    sim.add_job("krea", KREA_ID, [Step("queued", requests=4), "completed"])
    command = f"{sys.executable} -m jobctl watch krea:{KREA_ID} --until-done --json --interval 0.1 | head -1"
    proc = subprocess.run(
        ["bash", "-c", f'set -o pipefail; {command}; echo "rc=$? ${{PIPESTATUS[*]}}"'],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "JOBCTL_CONFIG": str(config_file)},
    )
    first, status = proc.stdout.splitlines()
    assert json.loads(first)["status"] == "queued"
    assert (status, proc.stderr) == ("rc=141 141 0", "")


@pytest.mark.parametrize(
    ("args", "how"),
    [
        (["get", "--bogus"], "pipe"),
        (["watch", "krea:a", "--interval", "0"], "pipe"),
        (["get", "--bogus"], "closed"),
        (["watch", "krea:a", "--interval", "0"], "closed"),
    ],
)
def test_a_closed_stderr_leaves_a_usage_error_exit_2(args: list[str], how: str, config_file: Path) -> None:
    command = " ".join([sys.executable, "-m", "jobctl", *args])
    if how == "closed":  # no stderr at all
        shell = f'{command} 2>&-; echo "rc=$?"'
    else:  # stderr's reader is gone before jobctl writes to it
        shell = f'{command} 2>&1 >/dev/null | true; echo "rc=${{PIPESTATUS[0]}}"'
    proc = subprocess.run(
        ["bash", "-c", shell],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "JOBCTL_CONFIG": str(config_file)},
    )
    assert (proc.stdout, proc.stderr) == ("rc=2\n", "")


def test_a_closed_stdout_discards_the_output_and_keeps_the_exit_code(
    sim: Simulator, config_file: Path
) -> None:
    sim.add_job("krea", "k1", ["failed"])
    command = " ".join([sys.executable, "-m", "jobctl", "get", "krea:k1", "--exit-status", "--no-track"])
    proc = subprocess.run(
        ["bash", "-c", f'{command} >&-; echo "rc=$?" >&2'],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "JOBCTL_CONFIG": str(config_file)},
    )
    assert (proc.stdout, proc.stderr) == ("", "rc=1\n")
