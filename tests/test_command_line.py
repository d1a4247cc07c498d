"""The command line itself: Typer's usage errors in jobctl's one-line style, the help's
metavars, and the duration syntax of `watch --timeout`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import KREA_ID

from jobctl.sim import Simulator

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
