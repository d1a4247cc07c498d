"""Shared fixtures: a live simulator on loopback, a profile file pointing at it, and
``jobctl(...)`` which runs the real CLI in-process through its error boundary."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from clocks import FakeClock
from hypothesis import Phase, settings

from jobctl._clock import SYSTEM_CLOCK, Clock
from jobctl.cli.context import Environment
from jobctl.sim import Simulator

# Before any test module (or jobctl.testing's own settings) is imported: a failing
# property is reported at its smallest example, without the explain phase's reruns; no
# example database; and no deadline: a per-example time limit is a timed assertion, which
# a loaded machine fails at random.
settings.register_profile(
    "jobctl", phases=[p for p in Phase if p is not Phase.explain], database=None, deadline=None
)
settings.load_profile("jobctl")

KREA_ID = "4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20"
CREATIFY_ID = "2f8c6e1a-5b7d-4e3f-9a21-6c4b8d0e1f32"
UNSTRUCTURED_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
GEPETTO_ID = "gp_8Kq2xR7wLm"
AISQUARE_ID = "1042"

CRED_VARS = (
    "KREA_API_KEY",
    "CREATIFY_API_ID",
    "CREATIFY_API_KEY",
    "UNSTRUCTURED_API_KEY",
    "GEPETTO_API_KEY",
    "AISQUARE_API_KEY",
)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's keys, config, journal or proxies."""
    for var in (*CRED_VARS, "JOBCTL_CONFIG", "JOBCTL_PROFILE", "NO_COLOR", "JOBCTL_NO_TRACK"):
        monkeypatch.delenv(var, raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    monkeypatch.setenv("JOBCTL_BACKOFF", "0.01")


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """``jobctl(...)`` runs with stdout as an 80-column terminal that can redraw (the
    ``jobctl`` fixture builds its Environment so); rich itself still writes plain text
    into the captured stream, so the last frame is what the test reads."""
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "xterm-256color")


@pytest.fixture
def demo_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the demo leaves its folder (downloads and gallery) in this test: a fresh
    directory with a path as short as /tmp's (the demo prints it and fits 80 columns),
    removed afterwards."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="jt", dir="/tmp" if os.path.isdir("/tmp") else None))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def clock() -> FakeClock:
    """This test's clock: the CLI runs (``jobctl``) and both simulators keep time by it,
    so no watch interval, retry or Retry-After waits for real."""
    return FakeClock()


@pytest.fixture(scope="session")
def shared_sim() -> Iterator[Simulator]:
    with Simulator() as server:
        yield server


@pytest.fixture
def sim(shared_sim: Simulator, clock: FakeClock) -> Simulator:
    """The session's one simulator, emptied and back to its defaults for this test."""
    shared_sim.reset(clock=clock)
    return shared_sim


@pytest.fixture(scope="session")
def shared_other() -> Iterator[Simulator]:
    with Simulator() as server:
        yield server


@pytest.fixture
def other(shared_other: Simulator, clock: FakeClock) -> Simulator:
    """A second simulator on another port: another origin, for redirects and downloads."""
    shared_other.reset(clock=clock)
    return shared_other


def journal_path() -> Path:
    """The journal the CLI uses under this test's variables (XDG_DATA_HOME)."""
    from jobctl._dirs import data_dir

    return data_dir(os.environ) / "journal.sqlite3"


def write_config(path: Path, data: dict[str, Any], mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    path.chmod(mode)
    return path


@pytest.fixture
def config_file(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profile 'test' (the default) pointing every provider at ``sim``; set via JOBCTL_CONFIG."""
    path = write_config(
        tmp_path / "config.yaml", {"default_profile": "test", "profiles": {"test": sim.profile()}}
    )
    monkeypatch.setenv("JOBCTL_CONFIG", str(path))
    return path


def make_environment(
    stdin: str = "",
    *,
    terminal: bool = False,
    debug: bool = False,
    clock: Clock = SYSTEM_CLOCK,
    **streams: Any,
) -> Environment:
    """The Environment of one CLI run in a test: the current (monkeypatched) variables,
    stdin from a string, stdout and stderr as pytest captures them (or as given),
    ``terminal``: stdout plays a terminal, and ``clock``: the one it waits with."""
    return Environment(
        stdin=io.StringIO(stdin),
        stdout=streams.get("stdout", sys.stdout),
        stderr=streams.get("stderr", sys.stderr),
        environ=dict(os.environ),
        stdout_isatty=terminal,
        clock=clock,
        debug=debug,
    )


@pytest.fixture
def jobctl(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    clock: FakeClock,
) -> Any:
    """Run ``jobctl ARGS`` in-process through its error boundary, in a test Environment
    (a terminal when the test also asks for ``on_a_terminal``); returns Result(code, out, err)."""
    from jobctl.cli import run

    terminal = "on_a_terminal" in request.fixturenames

    def invoke(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        env = make_environment(stdin, terminal=terminal, debug="--debug" in args, clock=clock)
        code = run(list(args), env)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def jobctl_cli(jobctl: Any) -> Any:
    """The ``jobctl`` fixture under a name that does not hide the ``jobctl`` package."""
    return jobctl


def run_process(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a real subprocess (for pipes, signals and start-up)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "jobctl", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
