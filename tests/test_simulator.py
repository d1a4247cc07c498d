"""`jobctl sim` as a real process: the config file it writes, and how it goes away."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

BANNER_END = "Each job's lifecycle starts at its first request. Ctrl-C stops the simulator."


def start_sim() -> tuple[subprocess.Popen[str], Path]:
    """``jobctl sim --port 0`` running, and the config file it says to export."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobctl", "sim", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    path = None
    for line in proc.stdout:
        if line.strip().startswith("export JOBCTL_CONFIG="):
            path = Path(line.strip().removeprefix("export JOBCTL_CONFIG="))
        if line.strip() == BANNER_END:
            break
    assert path is not None, proc.stderr.read() if proc.stderr else ""
    return proc, path


@pytest.mark.parametrize(
    ("signum", "code"),
    [
        (signal.SIGTERM, -signal.SIGTERM),  # as killed by it: a shell says 143
        (signal.SIGHUP, -signal.SIGHUP),  # its terminal closed: 129
        (signal.SIGINT, 130),  # Ctrl-C
    ],
)
def test_sim_removes_the_config_it_wrote_when_a_signal_stops_it(signum: int, code: int) -> None:
    proc, path = start_sim()
    try:
        assert path.is_file() and path.parent.name.startswith("jobctl-sim-")
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    assert not path.exists()
    assert not path.parent.exists()
    assert err == ""
