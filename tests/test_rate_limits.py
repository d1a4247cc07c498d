"""Rate limits through the real CLI against the simulator: `Retry-After` (seconds or an
HTTP date) and `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` (seconds or a Unix
time). `get` waits within its retry budget and past it says when to try again; `watch`
pauses the provider, says so in the rows, and never exits because of it."""

from __future__ import annotations

import email.utils
import io
import json
import random
import time
from typing import Any

import pytest
from conftest import GEPETTO_ID, KREA_ID
from rich.console import Console
from rich.text import Text

from jobctl._watch.policy import LikelihoodSchedule
from jobctl._watch.schedule import Budget
from jobctl.cli.output.live import LiveTable
from jobctl.errors import RateLimited
from jobctl.model import Job, Status
from jobctl.refs import Ref
from jobctl.sim import Simulator, Step

FAST = ("--interval", "0.05", "--max-interval", "0.1")
OTHER_KREA = "5ee5bffe-3be9-4b2f-9267-fde21ebcee31"


def early_in_a_second() -> float:
    """Now, once the clock is in the first half of a second: a whole-second time 90 s
    ahead is then 89.5-90 s away while the command runs, which rounds up to 90."""
    while time.time() % 1 > 0.5:
        time.sleep(0.05)
    return time.time()


def limited(headers: dict[str, str], then: str | None = "completed") -> list[Step]:
    """One 429 carrying ``headers``, then (if given) ``then`` for ever."""
    first = Step(http_status=429, body="{}", headers=headers, requests=1 if then else None)
    return [first, Step(status=then)] if then else [first]


# --- get ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "60"}, 60),
        ({"Retry-After": "3600"}, 3600),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "45"}, 45),
        ({"RateLimit-Limit": "600", "RateLimit-Remaining": "0", "RateLimit-Reset": "45"}, 45),
    ],
    ids=["retry-after seconds", "retry-after an hour", "x-ratelimit-reset seconds", "ratelimit-reset (IETF)"],
)
def test_get_past_its_retry_budget_says_at_once_when_to_try_again(
    headers: dict[str, str], seconds: int, sim: Simulator, config_file: Any, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, limited(headers, then=None))
    started = time.monotonic()
    result = jobctl("get", "krea", KREA_ID)
    assert time.monotonic() - started < 5
    assert result.code == 5
    assert result.out == ""
    assert result.err_lines == [f"error: krea:{KREA_ID}: rate limited (HTTP 429); try again in {seconds} s"]
    assert len(sim.requests_for("krea")) == 1


def test_get_reads_a_retry_after_given_as_an_http_date(sim: Simulator, config_file: Any, jobctl: Any) -> None:
    when = email.utils.formatdate(early_in_a_second() + 120, usegmt=True)
    sim.add_job("krea", KREA_ID, limited({"Retry-After": when}, then=None))
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.err_lines == [f"error: krea:{KREA_ID}: rate limited (HTTP 429); try again in 120 s"]


def test_get_reads_a_ratelimit_reset_given_as_a_unix_time(
    sim: Simulator, config_file: Any, jobctl: Any
) -> None:
    reset = str(int(early_in_a_second()) + 90)
    sim.add_job(
        "krea", KREA_ID, limited({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, then=None)
    )
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.err_lines == [f"error: krea:{KREA_ID}: rate limited (HTTP 429); try again in 90 s"]


def test_get_waits_out_a_ratelimit_reset_that_fits_its_retry_budget(
    sim: Simulator, config_file: Any, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, limited({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}))
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0, result.err
    first, second = sim.requests_for("krea")
    assert second.at - first.at >= 0.9


# --- watch --------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [20, 60])
def test_watch_sends_a_rate_limited_provider_nothing_until_its_retry_after(
    seconds: int, sim: Simulator, config_file: Any, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, limited({"Retry-After": str(seconds)}))
    sim.add_job("gepetto", GEPETTO_ID, ["processing"])
    result = jobctl(
        "watch", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "--until-done", "--timeout", "1", *FAST
    )
    assert result.code == 124  # the timeout, never the rate limit
    assert len(sim.requests_for("krea")) == 1
    assert len(sim.requests_for("gepetto")) >= 5  # the other provider is polled as usual
    states = [line.split("  ", 2)[1:] for line in result.lines]
    assert [
        f"krea:{KREA_ID}",
        f"error  retrying: krea:{KREA_ID}: rate limited (HTTP 429); try again in {seconds} s",
    ] in states
    assert result.err_lines == [
        f"error: watch: timed out after 1s; not done: krea:{KREA_ID}, gepetto:{GEPETTO_ID}"
    ]


def test_watch_resumes_a_paused_provider_when_its_retry_after_ends(
    sim: Simulator, config_file: Any, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, limited({"Retry-After": "1"}))
    sim.add_job("krea", OTHER_KREA, [Step("processing", seconds=1.2), Step("completed")])
    result = jobctl("watch", f"krea:{KREA_ID}", f"krea:{OTHER_KREA}", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    refused, *again = sim.requests_for("krea", KREA_ID)
    _, *other_again = sim.requests_for("krea", OTHER_KREA)  # its first went out with the 429
    assert [r for r in again + other_again if r.at < refused.at + 0.95] == []  # nothing during the pause
    assert len(again) == 1


def test_watch_waits_for_ratelimit_reset_after_the_last_request_of_a_window(
    sim: Simulator, config_file: Any, jobctl: Any
) -> None:
    last = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}
    sim.add_job("krea", KREA_ID, [Step("processing", headers=last, requests=1), Step("completed")])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    assert [json.loads(line)["status"] for line in result.lines] == ["running", "succeeded"]
    first, second = sim.requests_for("krea")
    assert second.at - first.at >= 0.9


def test_watch_pauses_a_provider_that_says_ratelimit_remaining_0_without_an_x(
    sim: Simulator, config_file: Any, jobctl: Any
) -> None:
    last = {"RateLimit-Limit": "600", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"}
    sim.add_job("krea", KREA_ID, [Step("processing", headers=last, requests=1), Step("completed")])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    assert [json.loads(line)["status"] for line in result.lines] == ["running", "succeeded"]
    first, second = sim.requests_for("krea")
    assert second.at - first.at >= 0.9


def test_a_ratelimit_remaining_above_0_asks_for_no_pause(
    sim: Simulator, config_file: Any, jobctl: Any
) -> None:
    plenty = {"RateLimit-Remaining": "5", "RateLimit-Reset": "30"}
    sim.add_job("krea", KREA_ID, [Step("processing", headers=plenty, requests=1), Step("completed")])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    first, second = sim.requests_for("krea")
    assert second.at - first.at < 5


# --- the live table -----------------------------------------------------------------------


def test_live_rows_of_a_rate_limited_provider_say_when_it_is_asked_again() -> None:
    now = [100.0]
    clock = lambda: now[0]  # noqa: E731
    budgets = {"gepetto": Budget(2.0, clock), "krea": Budget(2.0, clock)}
    refs = [Ref("krea", "k1"), Ref("krea", "k2"), Ref("gepetto", "g1")]
    schedule = LikelihoodSchedule(refs, budgets, clock=clock, rng=random.Random(1))
    ready, _ = schedule.due()
    k1, k2, g1 = ready
    schedule.record(k1, RateLimited("krea:k1: rate limited (HTTP 429); try again in 60 s", retry_after=60))
    for item in (k2, g1):
        schedule.record(item, Job(item.ref.provider, item.ref.id, Status.RUNNING, "processing"))
    now[0] += 18
    console = Console(file=io.StringIO(), width=120, height=40, force_terminal=True, color_system=None)
    console.print(LiveTable(console, schedule.items, budget_line=schedule.budget_line).render())
    lines = [Text.from_ansi(line).plain.rstrip() for line in console.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    rows = {line.split()[1]: line for line in lines[2:-1]}
    assert rows["k1"].endswith("rate limited, next try in 42 s")
    assert rows["k2"].endswith("rate limited, next try in 42 s")
    assert "rate limited" not in rows["g1"]
    assert (
        lines[-1] == "2 running · 1 error   gepetto 1/120 per min · krea 2/120 per min, rate limited for 42 s"
    )
