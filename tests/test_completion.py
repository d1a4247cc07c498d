"""Shell completion through the real protocol (``_JOBCTL_COMPLETE``) in bash, zsh and
fish: commands, options, provider names, profiles and refs from the job journal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import journal_path, write_config

from jobctl.journal import Journal
from jobctl.model import Job, Status


def complete(shell: str, words: str, env: dict[str, str] | None = None) -> list[str]:
    """What ``jobctl`` offers for the command line ``words`` (the cursor at its end)."""
    extra = {"_JOBCTL_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        typed = words.split()
        extra.update(COMP_WORDS=words, COMP_CWORD=str(len(typed) - (0 if words.endswith(" ") else 1)))
    else:
        extra.update(_TYPER_COMPLETE_ARGS=words, _TYPER_COMPLETE_FISH_ACTION="get-args")
    proc = subprocess.run(
        [sys.executable, "-m", "jobctl"],
        env={**os.environ, **extra, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return [line for line in proc.stdout.splitlines() if line]


@pytest.fixture
def journal() -> Journal:
    book = Journal(journal_path())
    book.record(
        [
            Job("krea", "4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20", Status.RUNNING, "processing"),
            Job("krea", "4ddf0000-0000-4000-8000-000000000000", Status.SUCCEEDED, "completed"),
            Job("gepetto", "gp_8Kq2xR7wLm", Status.QUEUED, "pending"),
        ]
    )
    book.close()
    return book


def test_bash_completes_command_names() -> None:
    assert complete("bash", "jobctl wa") == ["watch"]
    assert set(complete("bash", "jobctl ")) >= {"get", "watch", "ls", "forget", "providers", "config", "demo"}


def test_bash_completes_options_of_a_command() -> None:
    assert complete("bash", "jobctl watch --until") == ["--until-done"]
    assert complete("bash", "jobctl --show") == ["--show-completion"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_provider_name_completes_to_itself_and_to_a_ref_prefix(shell: str) -> None:
    offered = complete(shell, "jobctl get kr")
    if shell == "bash" or shell == "fish":
        assert offered == ["krea", "krea:"]
    else:  # zsh's _arguments spec, its colon escaped
        assert offered == ['_arguments \'*: :(("krea"', '"krea\\\\:"))\'']


@pytest.mark.parametrize("command", ["get", "watch", "forget"])
def test_refs_complete_from_the_job_journal_unfinished_first(command: str, journal: Journal) -> None:
    assert complete("bash", f"jobctl {command} krea:4dd") == [
        "krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20",
        "krea:4ddf0000-0000-4000-8000-000000000000",
    ]
    assert complete("bash", f"jobctl {command} gepetto:") == ["gepetto:gp_8Kq2xR7wLm"]


def test_ids_complete_after_a_provider_name_and_after_bashs_colon_split(journal: Journal) -> None:
    assert complete("bash", "jobctl get krea 4dd4") == ["4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20"]
    assert complete("bash", "jobctl watch krea : 4ddf") == ["4ddf0000-0000-4000-8000-000000000000"]


@pytest.mark.parametrize("command", ["get", "download"])
def test_bash_offers_a_providers_tracked_ids_right_after_its_colon(command: str, journal: Journal) -> None:
    # bash splits "krea:" at the colon (COMP_WORDBREAKS): the word completed is ":" and
    # what it offers replaces only what follows the colon, so ids come bare.
    assert complete("bash", f"jobctl {command} krea :") == [
        "4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20",
        "4ddf0000-0000-4000-8000-000000000000",
    ]
    after_one = f"jobctl {command} krea : 4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20 gepetto :"
    assert complete("bash", after_one) == ["gp_8Kq2xR7wLm"]
    assert complete("bash", f"jobctl {command} nosuch :") == []


def test_zsh_and_fish_complete_refs_from_the_journal(journal: Journal) -> None:
    zsh = complete("zsh", "jobctl watch gepetto:gp")
    assert len(zsh) == 1 and "gepetto\\\\:gp_8Kq2xR7wLm" in zsh[0]
    assert complete("fish", "jobctl watch gepetto:gp") == ["gepetto:gp_8Kq2xR7wLm"]


def test_with_tracking_off_no_refs_are_offered(journal: Journal) -> None:
    assert complete("bash", "jobctl get krea:4dd", env={"JOBCTL_NO_TRACK": "1"}) == []


def test_profiles_complete_after_profile_from_the_config_file(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.yaml", {"profiles": {"work": {}, "weekend": {}, "ci": {}}})
    env = {"JOBCTL_CONFIG": str(path)}
    assert complete("bash", "jobctl get --profile w", env=env) == ["work", "weekend"]
    assert complete("bash", f"jobctl watch --config {path} -p c") == ["ci"]
    fish = complete("fish", "jobctl providers -p wo", env=env)
    assert fish == ["work"]


def test_a_broken_config_file_offers_no_profiles_and_no_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("profiles: [unclosed")
    assert complete("bash", "jobctl get -p ", env={"JOBCTL_CONFIG": str(path)}) == []


def test_a_config_file_over_1_mib_offers_no_profiles_and_is_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("profiles: {work: {}}\n" + ("# padding\n" * 110_000))
    assert path.stat().st_size > 1024 * 1024
    assert complete("bash", "jobctl get -p w", env={"JOBCTL_CONFIG": str(path)}) == []


# Typer detects the user's shell from the process tree; under pytest that is not a
# user's shell, so the tests name it (Typer's own switch for that).
NAME_THE_SHELL = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_the_script_for_each_shell(shell: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jobctl", "--show-completion", shell],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **NAME_THE_SHELL},
    )
    assert proc.returncode == 0, proc.stderr
    assert "_JOBCTL_COMPLETE" in proc.stdout and f"complete_{shell}" in proc.stdout


def test_install_completion_writes_the_bash_script_into_bashrc(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "jobctl", "--install-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **NAME_THE_SHELL, "HOME": str(home)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "completion installed" in proc.stdout
    assert "jobctl" in (home / ".bashrc").read_text()
