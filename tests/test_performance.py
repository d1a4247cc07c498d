"""Behaviour that keeps jobctl fast, locked without timing anything (see bench/run)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("requests", "urllib3", "yaml", "rich", "sqlite3", "pydantic")

PROBE = """
import sys
from jobctl.cli import run
try:
    run(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(%r))
print(",".join(heavy))
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["get", "--help"], ["watch", "--help"]])
def test_start_up_paths_import_no_heavy_library(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,), *args], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == ""


def test_json_output_does_not_import_rich(sim, config_file) -> None:
    sim.add_job("krea", "abc", ["processing"])
    probe = PROBE.replace("set(%r)", "{'rich'}")
    proc = subprocess.run(
        [sys.executable, "-c", probe, "get", "krea", "abc", "--json", "--no-track"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == ""


def test_forty_refs_to_one_provider_share_at_most_eight_connections(sim, config_file, jobctl) -> None:
    ids = [f"job-{n}" for n in range(40)]
    for job_id in ids:
        sim.add_job("gepetto", job_id, ["processing"])
    result = jobctl("get", "gepetto", *ids, "--json", "--no-track")
    assert result.code == 0, result.err
    assert len(sim.requests_for("gepetto")) == 40
    assert 1 <= sim.connections("gepetto") <= 8
