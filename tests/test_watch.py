"""`jobctl watch`: exit codes, NDJSON only on change, adaptive polling, budgets, faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import AISQUARE_ID, GEPETTO_ID, KREA_ID, UNSTRUCTURED_ID, run_process, write_config

from jobctl._units import parse_duration
from jobctl._watch.schedule import Budget, Schedule
from jobctl.client import Client
from jobctl.model import Job, Status
from jobctl.refs import Ref
from jobctl.sim import Step

FAST = ("--interval", "0.05", "--max-interval", "0.1")


def ndjson(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_watch_until_done_exits_0_and_prints_one_json_line_per_change(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, [Step("queued", requests=3), Step("processing", requests=3), "completed"])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    assert [(d["status"], d["provider_status"]) for d in ndjson(result.out)] == [
        ("queued", "queued"),
        ("running", "processing"),
        ("succeeded", "completed"),
    ]
    assert len(sim.requests_for("krea")) >= 7  # polled more often than it printed


def test_watch_exits_1_when_a_job_fails(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing", "completed"])
    sim.add_job("gepetto", GEPETTO_ID, ["processing", "failed"])
    result = jobctl("watch", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "--until-done", "--json", *FAST)
    assert result.code == 1
    final = {d["id"]: d["status"] for d in ndjson(result.out)}
    assert final == {KREA_ID: "succeeded", GEPETTO_ID: "failed"}


def test_watch_exits_1_when_a_job_is_cancelled(sim, config_file, jobctl) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, ["IN_PROGRESS", "STOPPED"])
    result = jobctl("watch", f"unstructured:{UNSTRUCTURED_ID}", "--until-done", *FAST)
    assert result.code == 1
    assert result.lines[-1].endswith(f"unstructured:{UNSTRUCTURED_ID}  cancelled (STOPPED)")


def test_watch_exits_4_when_a_job_disappears(sim, config_file, jobctl) -> None:
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", *FAST)
    assert result.code == 4
    assert result.err_lines == [f"error: krea:{KREA_ID}: job not found (HTTP 404): Job not found"]


def test_watch_exits_3_when_the_key_is_refused(sim, tmp_path, jobctl, monkeypatch) -> None:
    profile = sim.profile()
    profile["krea"]["api_key"] = "wrong-key-1234"
    path = write_config(tmp_path / "bad.yaml", {"profiles": {"default": profile}})
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--config", str(path), *FAST)
    assert result.code == 3
    assert "wrong-key-1234" not in result.out + result.err
    assert result.err_lines[-1].startswith(f"error: krea:{KREA_ID}: authentication refused (HTTP 401)")


def test_watch_timeout_exits_124_naming_the_unfinished_job(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    started = time.monotonic()
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--timeout", "0.5s", *FAST)
    assert result.code == 124
    assert time.monotonic() - started < 5
    assert result.err_lines == [f"error: watch: timed out after 0.5s; not done: krea:{KREA_ID}"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("10m", 600), ("1h", 3600), ("1.5m", 90), ("0.5", 0.5)]
)
def test_timeout_accepts_plain_seconds_and_units(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "abc", "-5", "0", "10x", "nan", "inf", "m"])
def test_bad_timeout_is_a_usage_error(bad: str, sim, config_file, jobctl) -> None:
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--timeout", bad)
    assert result.code == 2
    assert result.err_lines[0].startswith("error: --timeout")
    assert sim.requests_for() == []


@pytest.mark.parametrize("bad", ["0", "-1"])
def test_interval_must_be_positive(bad: str, sim, config_file, jobctl) -> None:
    result = jobctl("watch", f"krea:{KREA_ID}", "--interval", bad)
    assert result.code == 2
    assert "--interval" in result.err
    assert sim.requests_for() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--interval", "inf"],
            "--interval inf must be a positive number of seconds, at most 86400 (a day), e.g. 2 or 0.5",
        ),
        (
            ["--interval", "1e300", "--max-interval", "1e300"],
            "--interval 1e+300 must be a positive number of seconds, at most 86400 (a day), e.g. 2 or 0.5",
        ),
        (
            ["--max-interval", "nan"],
            "--max-interval nan must be a positive number of seconds, at most 86400 (a day), e.g. 2 or 0.5",
        ),
        (
            ["--interval", "30"],
            "--interval 30 is longer than --max-interval 10; shorten it or lengthen --max-interval too",
        ),
    ],
)
def test_polling_intervals_that_cannot_work_are_usage_errors_before_anything_is_sent(
    args: list[str], message: str, sim, config_file, jobctl
) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", *args)
    assert (result.code, result.out, result.err_lines) == (2, "", [f"error: {message}"])
    assert sim.requests_for() == []


def test_watch_help_says_an_interval_above_max_interval_is_refused(jobctl) -> None:
    help_text = " ".join(jobctl("watch", "--help").out.split())
    assert "up to --max-interval (a longer one is refused)" in help_text


def test_transient_failures_are_shown_and_the_watch_goes_on(sim, config_file, jobctl) -> None:
    # 4 x 503 exhausts one fetch's retries (1 + 3); the watch must shrug and poll again.
    sim.add_job(
        "krea",
        KREA_ID,
        [Step("processing", requests=1), Step(http_status=503, requests=4), Step("completed")],
    )
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", *FAST)
    assert result.code == 0, result.err
    states = [line.split("  ", 2)[2] for line in result.lines]
    assert states[0] == "running (processing)"
    assert states[1].startswith("error  retrying: krea:") and "HTTP 503" in states[1]
    assert states[2].startswith("succeeded (completed)")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def poll_times(schedule: Schedule, clock: FakeClock, until: float, answer: Job) -> list[float]:
    """Drive ``schedule`` on ``clock`` to ``until``, answering every poll at once."""
    times = []
    while clock.now < until:
        ready, wait = schedule.due()
        for item in ready:
            times.append(clock.now)
            schedule.record(item, answer)
        if not ready:
            clock.now += wait
    return times


RUNNING = Job("krea", KREA_ID, Status.RUNNING, "processing")


def test_a_job_left_unchanged_is_polled_less_and_less_often() -> None:
    clock = FakeClock()
    schedule = Schedule([Ref("krea", KREA_ID)], {"krea": Budget(100, clock)}, 0.2, 1.0, clock)
    times = poll_times(schedule, clock, 10.0, RUNNING)
    gaps = [b - a for a, b in pairwise(times)]
    # 0.2 s growing x1.5 (+/-10%) to the 1 s cap: about 14 polls in 10 s, where a fixed
    # 0.2 s poll would send 50.
    assert 10 <= len(times) <= 18, gaps
    assert gaps[0] == pytest.approx(0.2, rel=0.11)
    assert gaps[-1] == pytest.approx(1.0, rel=0.11)
    assert all(b >= a * 0.8 for a, b in pairwise(gaps)), gaps


def test_the_per_provider_budget_caps_polls() -> None:
    clock = FakeClock()
    refs = [Ref("gepetto", f"job{n}") for n in range(10)]
    schedule = Schedule(refs, {"gepetto": Budget(2.0, clock)}, 0.05, 0.1, clock)
    times = poll_times(schedule, clock, 10.0, RUNNING)
    # Unbudgeted: 10 jobs x ~100 polls. At 2/s with a 5 s burst (10): 10 + 2 x 10 s.
    assert 28 <= len(times) <= 31


@pytest.mark.parametrize(
    ("options", "rate"),
    [({"max_rps": 2}, 2.0), ({"max_rpm": 30}, 0.5), ({"max_rps": 2, "max_rpm": 60}, 1.0), ({}, 2.0)],
)
def test_the_profile_sets_each_providers_watch_budget(sim, options, rate) -> None:
    profile = sim.profile(["gepetto"])
    profile["gepetto"].update(options)
    with Client(providers=profile, env={}) as client:
        watch = client.watch([Ref("gepetto", "job1")])  # nothing is sent until it is iterated
    assert watch.schedule.budgets["gepetto"].rate == pytest.approx(rate)
    assert sim.requests == []


def test_budget_refills_at_its_rate() -> None:
    now = [0.0]
    budget = Budget(rate=2.0, clock=lambda: now[0])
    assert [budget.take() for _ in range(10)] == [0.0] * 10
    assert budget.take() == pytest.approx(0.5)
    now[0] = 1.0
    assert [budget.take() for _ in range(2)] == [0.0, 0.0]
    assert budget.take() > 0


def add_aisquare_job_with_two_events(sim) -> None:
    """RUNNING with a THOUGHT, RUNNING with a LOG (two polls each), then COMPLETED."""
    sim.add_job(
        "aisquare",
        AISQUARE_ID,
        [
            Step("RUNNING", requests=2, event=("THOUGHT", "Outlining sections")),
            Step("RUNNING", requests=2, event=("LOG", "Drafting section 1")),
            Step("COMPLETED"),
        ],
    )


def test_aisquare_events_show_in_the_row_and_in_raw_json(sim, config_file, jobctl) -> None:
    add_aisquare_job_with_two_events(sim)
    result = jobctl("watch", f"aisquare:{AISQUARE_ID}", "--until-done", *FAST)
    assert result.code == 0
    assert [line.split("  ", 2)[2] for line in result.lines][:2] == [
        "running (RUNNING)  THOUGHT: Outlining sections",
        "running (RUNNING)  LOG: Drafting section 1",
    ]
    raw = jobctl("watch", f"aisquare:{AISQUARE_ID}", "--until-done", "--raw", *FAST)
    events = ndjson(raw.out)[-1]["raw"]["events"]
    assert [e["content"] for e in events] == ["Outlining sections", "Drafting section 1"]


@pytest.mark.parametrize(("raw", "lines"), [(False, 2), (True, 3)])
def test_ndjson_prints_a_line_only_when_the_object_changes(sim, config_file, jobctl, raw, lines) -> None:
    # A new AISquare event changes the row but not the normalized object (only --raw
    # carries the events), so without --raw it must not repeat the same line.
    add_aisquare_job_with_two_events(sim)
    args = ["--raw"] if raw else []
    result = jobctl("watch", f"aisquare:{AISQUARE_ID}", "--until-done", "--json", *args, *FAST)
    assert result.code == 0
    assert len(result.lines) == len(set(result.lines)) == lines
    assert [d["status"] for d in ndjson(result.out)] == ["running"] * (lines - 1) + ["succeeded"]


def test_watch_without_refs_follows_unfinished_tracked_jobs(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing", requests=2), "completed"])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    assert jobctl("get", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}").code == 0
    assert jobctl("ls").lines[1].startswith(f"krea      {KREA_ID}  running (processing)")
    result = jobctl("watch", "--until-done", "--json", *FAST)
    assert result.code == 0
    assert {d["id"] for d in ndjson(result.out)} == {KREA_ID}  # the finished one is not watched
    assert jobctl("ls").out == "no unfinished tracked jobs (jobctl ls --all shows every one)\n"


def test_watch_with_nothing_to_watch_says_how_to_add_jobs(sim, config_file, jobctl) -> None:
    result = jobctl("watch", "--until-done")
    assert result.code == 2
    assert result.err_lines == [
        "error: nothing to watch: no refs given and no unfinished tracked jobs; "
        "pass refs (jobctl watch krea:ID) or look one up first (jobctl get krea ID)"
    ]


def test_watch_reads_refs_piped_on_stdin(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    stdin = f"krea:{KREA_ID}\n\n# a comment\ngepetto {GEPETTO_ID}\r\nkrea:{KREA_ID}\n"
    result = jobctl("watch", "--until-done", "--json", *FAST, stdin=stdin)
    assert result.code == 0
    assert [d["id"] for d in ndjson(result.out)] in ([KREA_ID, GEPETTO_ID], [GEPETTO_ID, KREA_ID])


def _env_for(config_file: Path) -> dict[str, str]:
    return {"JOBCTL_CONFIG": str(config_file), "PYTHONUNBUFFERED": "1"}


def test_ctrl_c_exits_130_without_a_traceback(sim, config_file) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobctl", "watch", f"krea:{KREA_ID}", *FAST],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **_env_for(config_file)},
    )
    # Interrupt only once the first line is out: the job is being watched, not still starting.
    guard = threading.Timer(20, proc.kill)
    guard.start()
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        guard.cancel()
    assert first.rstrip("\n").endswith(f"krea:{KREA_ID}  running (processing)")
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_watch_into_head_ends_quietly_killed_by_sigpipe(sim, config_file) -> None:
    sim.add_job("krea", KREA_ID, [Step("queued", requests=2), Step("processing", requests=2), "completed"])
    shell = f"{sys.executable} -m jobctl watch krea:{KREA_ID} --json --interval 0.05 | head -1"
    proc = subprocess.run(
        ["bash", "-c", f'{shell}; echo "rc=${{PIPESTATUS[0]}}"'],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **_env_for(config_file)},
    )
    lines = proc.stdout.splitlines()
    assert json.loads(lines[0])["status"] == "queued"
    assert lines[1] == "rc=141"
    assert proc.stderr == ""


def test_watch_help_has_examples() -> None:
    result = run_process("watch", "--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout
    assert "--until-done" in result.stdout


def test_a_rejected_request_ends_that_jobs_watch_with_exit_5(sim, config_file, jobctl) -> None:
    sim.add_job("gepetto", GEPETTO_ID, [Step(http_status=400, body='{"error": "bad id"}')])
    result = jobctl("watch", f"gepetto:{GEPETTO_ID}", "--until-done", *FAST)
    assert result.code == 5
    assert result.err_lines == [f"error: gepetto:{GEPETTO_ID}: HTTP 400 Bad Request: bad id"]
    assert len(sim.requests_for("gepetto")) == 1  # asking again would not help
