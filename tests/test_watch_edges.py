"""`watch` at its edges (issue: never a traceback, never a silent hang): crashing
fetches, refs that are all bad, an empty stdin, jobs that vanish, undocumented words."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import GEPETTO_ID, KREA_ID, journal_path

from jobctl.journal import Journal
from jobctl.model import Job, Status
from jobctl.sim import Step

FAST = ("--interval", "0.05", "--max-interval", "0.1")


@pytest.mark.parametrize("until_done", [True, False])
def test_watch_with_only_invalid_refs_exits_2_at_once(sim, config_file, jobctl, until_done: bool) -> None:
    args = ["watch", "aisquare:0", "kreaa:x", *(["--until-done"] if until_done else [])]
    result = jobctl(*args)
    assert result.code == 2
    assert result.err_lines == [
        'error: aisquare: invalid job id "0": expected a positive integer like 42',
        "error: unknown provider 'kreaa' (did you mean 'krea'?); "
        "supported: krea, creatify, unstructured, gepetto, aisquare",
    ]
    assert sim.requests == []


def test_watch_dash_with_an_empty_stdin_exits_2_and_never_falls_back_to_the_journal(
    sim, config_file, jobctl
) -> None:
    Journal(journal_path()).record([Job("krea", KREA_ID, Status.RUNNING, "processing")])
    result = jobctl("watch", "-", "--until-done", stdin="")
    assert result.code == 2
    assert result.err_lines == [
        "error: no job refs on stdin; pipe refs (one provider:id per line) or pass them"
    ]
    assert sim.requests == []


def test_a_crash_inside_a_fetch_becomes_that_jobs_error_and_ends_the_watch(
    sim, config_file, jobctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobctl.providers.gepetto import Gepetto

    def broken(self: Any, job_id: str, body: Any) -> Job:
        raise RecursionError("a payload nobody foresaw")

    monkeypatch.setattr(Gepetto, "normalize", broken)
    sim.add_job("gepetto", GEPETTO_ID, ["processing"])
    sim.add_job("krea", KREA_ID, ["processing", "completed"])
    result = jobctl(
        "watch", f"gepetto:{GEPETTO_ID}", f"krea:{KREA_ID}", "--until-done", "--timeout", "20", *FAST
    )
    assert result.code == 5
    assert "Traceback" not in result.out + result.err
    assert result.err_lines == [
        f"error: gepetto:{GEPETTO_ID}: could not read the job payload (RecursionError)"
    ]
    assert f"krea:{KREA_ID}  succeeded (completed)" in result.out


def test_a_bug_in_the_watch_worker_itself_is_one_error_line_not_a_hang(
    sim, config_file, jobctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobctl.client import Client

    def broken(self: Any, ref: Any, patient: bool = True) -> Job:
        raise KeyError("a bug")

    monkeypatch.setattr(Client, "_fetch", broken)
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--timeout", "20", *FAST)
    assert result.code == 5
    assert result.err_lines == [f"error: krea:{KREA_ID}: internal error: KeyError: 'a bug'"]


def test_a_tracked_job_that_answers_404_is_marked_gone_and_left_out_of_watch(
    sim, config_file, jobctl
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    sim.add_job("gepetto", GEPETTO_ID, ["processing"])
    assert jobctl("get", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}").code == 0
    sim.reset()  # the provider forgets krea:KREA_ID
    sim.add_job("gepetto", GEPETTO_ID, ["processing", "success"])
    assert jobctl("get", "krea", KREA_ID).code == 4
    listed = jobctl("ls", "--json")
    gone = {d["id"]: d["gone"] for d in json.loads(listed.out)}
    assert gone == {KREA_ID: True, GEPETTO_ID: False}
    text = jobctl("ls")
    assert any(
        line.startswith("krea ") and "the provider no longer knows this job" in line for line in text.lines
    ), text.out
    asked = len(sim.requests_for("krea"))
    watched = jobctl("watch", "--until-done", "--json", *FAST)
    assert watched.code == 0, watched.err
    assert {d["id"] for d in map(json.loads, watched.lines)} == {GEPETTO_ID}
    assert len(sim.requests_for("krea")) == asked  # the gone job was not asked again


def test_a_job_that_vanishes_during_a_watch_is_marked_gone(sim, config_file, jobctl) -> None:
    sim.add_job("gepetto", GEPETTO_ID, ["processing"])
    result = jobctl(
        "watch", f"gepetto:{GEPETTO_ID}", "krea:vanished", "--until-done", "--timeout", "0.5", *FAST
    )
    assert result.code == 4  # the 404 is more severe than the timeout
    assert result.err_lines == [
        "error: krea:vanished: job not found (HTTP 404): Job not found",
        f"error: watch: timed out after 0.5s; not done: gepetto:{GEPETTO_ID}",
    ]


def test_watch_says_once_that_it_keeps_waiting_on_an_undocumented_word(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, [Step("warming-up", requests=3), Step("completed")])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    assert result.err_lines == [
        f"warning: krea:{KREA_ID}: 'warming-up' is not a status word jobctl knows; still waiting on it"
    ]
    assert [json.loads(line)["status"] for line in result.lines] == ["unknown", "succeeded"]


def test_a_bad_ref_beside_a_good_one_still_sets_the_exit_code_when_time_runs_out(
    sim, config_file, jobctl
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("watch", f"krea:{KREA_ID}", "aisquare:0", "--until-done", "--timeout", "0.3", *FAST)
    assert result.code == 2
    assert result.err_lines == [
        'error: aisquare: invalid job id "0": expected a positive integer like 42',
        f"error: watch: timed out after 0.3s; not done: krea:{KREA_ID}",
    ]
