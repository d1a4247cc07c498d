"""Behaviour that keeps jobctl fast, locked without timing anything (see bench/run)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jobctl.cli import COMMANDS, build_app

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


# Each run registers only the commands its argv can reach (cli.build_app); what a user
# sees must be exactly what the full command tree would show.


def _help(app_argv: list[str], args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        build_app(app_argv)(args=args, prog_name="jobctl")
    assert exit_info.value.code == 0
    return capsys.readouterr().out


FULL_TREE = ["no-such-command"]  # a word that names no command registers all of them


@pytest.mark.parametrize("args", [["--help"], ["-h"]])
def test_the_command_list_matches_the_full_tree(args: list[str], capsys) -> None:
    listing = _help(args, args, capsys)
    assert listing == _help(FULL_TREE, args, capsys)
    for name in [*COMMANDS, "config"]:
        assert f"\n  {name} " in listing


@pytest.mark.parametrize("args", [[name, "--help"] for name in COMMANDS] + [["config", "show", "--help"]])
def test_a_single_command_tree_gives_the_full_tree_help(args: list[str], capsys) -> None:
    assert _help(args, args, capsys) == _help(FULL_TREE, args, capsys)
