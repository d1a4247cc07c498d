"""The polling policy on a fake clock: cold start, learned durations, arrivals, and
rate-limit pauses, with no threads and no HTTP (the CLI tests are in test_rate_limits)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from jobctl._watch.policy import LikelihoodSchedule
from jobctl._watch.schedule import RATE_LIMIT_PAUSE, Budget, Schedule, Tracked
from jobctl.errors import JobctlError, RateLimited
from jobctl.model import Job, Status
from jobctl.refs import Ref

EPOCH = 1_800_000_000.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return EPOCH + self.now


def stamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(EPOCH + seconds, timezone.utc)


def state(job_id: str, kind: str | None, created: float, took: float, now: float) -> Job:
    """What a job created at ``created`` that runs ``took`` seconds answers at ``now``."""
    done = now >= created + took
    status = Status.SUCCEEDED if done else Status.RUNNING
    ended = stamp(created + took) if done else None
    return Job(
        "gepetto", job_id, status, status.value, kind=kind, created_at=stamp(created), finished_at=ended
    )


def finished(kind: str, durations: list[float]) -> list[Job]:
    """Journal entries: jobs of ``kind`` that took ``durations`` seconds, a day ago."""
    return [
        state(f"old-{kind}-{n}", kind, -86400.0 + 3600 * n, took, 0.0) for n, took in enumerate(durations)
    ]


Answer = Callable[[Tracked, float], "Job | JobctlError"]


def run(schedule: Schedule, clock: FakeClock, answer: Answer, until: float) -> list[tuple[float, str]]:
    """Drive ``schedule`` until ``until`` (or every job is done): (time, id) of each poll."""
    polls = []
    while clock.now < until and not schedule.finished:
        ready, wait = schedule.due()
        for item in ready:
            polls.append((clock.now, item.ref.id))
            schedule.record(item, answer(item, clock.now))
        clock.now += wait
    return polls


def gepetto(*ids: str) -> list[Ref]:
    return [Ref("gepetto", job_id) for job_id in ids]


def test_with_no_history_a_short_budget_goes_round_robin() -> None:
    clock = FakeClock()
    ids = [f"job{n}" for n in range(10)]
    schedule = LikelihoodSchedule(
        gepetto(*ids), {"gepetto": Budget(1.0, clock)}, clock=clock, rng=random.Random(1), wall=clock.wall
    )
    polls = run(schedule, clock, lambda item, now: state(item.ref.id, "render", 0.0, 1e6, now), until=60)
    asked = [job_id for _, job_id in polls]
    # Every job once before any job twice, and so on: the least recently polled first.
    assert [sorted(asked[n : n + 10]) for n in (0, 10, 20, 30, 40)] == [sorted(ids)] * 5
    assert len(polls) <= 5 + 60  # the 5 s burst, then one a second


def test_learned_durations_spend_the_budget_on_the_job_likely_to_have_finished() -> None:
    # One 30 s render among 29 hour-long trainings, at 30 requests a minute: in turn,
    # each job is asked once a minute. Knowing renders take ~30 s, the render is asked
    # when it is likely done, and its finish is seen at once.
    history = finished("render", [26, 28, 29, 30, 30, 31, 32, 33, 35, 36]) + finished("train", [3600] * 10)
    took = {"render": 31.5, **{f"train{n}": 3600.0 for n in range(29)}}

    def answer(item: Tracked, now: float) -> Job:
        kind = "render" if item.ref.id == "render" else "train"
        return state(item.ref.id, kind, 0.0, took[item.ref.id], now)

    def seen_done(with_history: bool) -> float:
        clock = FakeClock()
        refs = gepetto(*took)
        known = [answer(Tracked(ref, 2.0), 0.0) for ref in refs]  # the journal's entries for them
        schedule = LikelihoodSchedule(
            refs,
            {"gepetto": Budget(0.5, clock)},
            clock=clock,
            rng=random.Random(1),
            history=history + known if with_history else (),
            wall=clock.wall,
        )
        polls = run(schedule, clock, answer, until=200)
        return next(t for t, job_id in polls if job_id == "render" and t >= 31.5) - 31.5

    assert seen_done(with_history=False) > 20
    assert seen_done(with_history=True) <= 3


def test_jobs_finishing_during_the_watch_teach_their_kind() -> None:
    clock = FakeClock()
    ids = [f"r{n}" for n in range(10)]
    took = {job_id: 20.0 + n for n, job_id in enumerate(ids)}
    schedule = LikelihoodSchedule(
        gepetto(*ids), {"gepetto": Budget(1e9, clock)}, clock=clock, rng=random.Random(1), wall=clock.wall
    )
    assert schedule.durations.model("gepetto", "render") is None
    run(
        schedule, clock, lambda item, now: state(item.ref.id, "render", 0.0, took[item.ref.id], now), until=60
    )
    model = schedule.durations.model("gepetto", "render")
    assert model is not None
    assert math.exp(model.mu) == pytest.approx(24.4, abs=0.1)  # the geometric mean of 20..29 s


def test_a_job_that_joins_the_watch_is_asked_by_its_own_age() -> None:
    # 29 hour-long jobs share 30 requests a minute; a 31 s render created at t=100 joins.
    def seen_done(history: list[Job]) -> float:
        clock = FakeClock()
        trains = gepetto(*(f"train{n}" for n in range(29)))
        budgets = {"gepetto": Budget(0.5, clock)}
        rng = random.Random(1)
        schedule = LikelihoodSchedule(trains, budgets, clock=clock, rng=rng, history=history, wall=clock.wall)

        def answer(item: Tracked, now: float) -> Job:
            if item.ref.id == "late":
                return state("late", "render", 100.0, 31.0, now)
            return state(item.ref.id, "train", 0.0, 1e6, now)

        run(schedule, clock, answer, until=100)
        late = schedule.add(Ref("gepetto", "late"), state("late", "render", 100.0, 31.0, 100.0))
        polls = run(schedule, clock, answer, until=300)
        assert late.job is not None and late.job.done
        return next(t for t, job_id in polls if job_id == "late" and t >= 131) - 131

    assert seen_done([]) > 20
    renders = finished("render", [26, 28, 29, 30, 30, 31, 32, 33, 35, 36])
    assert seen_done(renders + finished("train", [3600.0] * 10)) <= 3


def test_a_rate_limit_pauses_only_that_provider_and_says_for_how_long() -> None:
    clock = FakeClock()
    budgets = {"gepetto": Budget(2.0, clock), "krea": Budget(2.0, clock)}
    refs = [Ref("gepetto", "g1"), Ref("krea", "k1")]
    schedule = LikelihoodSchedule(refs, budgets, 1.0, 1.0, clock=clock, rng=random.Random(1), wall=clock.wall)
    limited = RateLimited("krea:k1: rate limited (HTTP 429); try again in 60 s", retry_after=60)

    def answer(item: Tracked, now: float) -> Job | JobctlError:
        if item.ref.provider == "krea" and now < 60:
            return limited
        return state(item.ref.id, None, 0.0, 1e6, now)

    polls = run(schedule, clock, answer, until=30)
    assert [t for t, job_id in polls if job_id == "k1"] == [0.0]
    asked = len([t for t, job_id in polls if job_id == "g1"])
    assert asked >= 25  # gepetto goes on at its own pace (one a second)
    krea_row = schedule.items[1]
    assert krea_row.paused_for == pytest.approx(30, abs=1)
    assert (
        schedule.budget_line() == f"gepetto {asked}/120 per min · krea 1/120 per min, rate limited for 30 s"
    )
    polls = run(schedule, clock, answer, until=65)
    assert next(t for t, job_id in polls if job_id == "k1") == pytest.approx(60, abs=0.05)
    assert krea_row.paused_for == 0
    assert krea_row.error is None and krea_row.job is not None


def test_a_429_that_does_not_say_how_long_pauses_for_ten_seconds() -> None:
    clock = FakeClock()
    budgets = {"krea": Budget(2.0, clock)}
    schedule = LikelihoodSchedule(
        [Ref("krea", "k1")], budgets, clock=clock, rng=random.Random(1), wall=clock.wall
    )
    (item,), _ = schedule.due()
    schedule.record(item, RateLimited("krea:k1: rate limited (HTTP 429) after 3 retries"))
    assert item.paused_for == RATE_LIMIT_PAUSE == 10
    assert not item.final  # a rate limit never ends a job's watch


def test_a_budget_resumes_after_a_pause_with_one_request_not_a_burst() -> None:
    clock = FakeClock()
    budget = Budget(2.0, clock)  # bursts to 10
    budget.pause(60)
    assert budget.take() == 60
    clock.now = 60
    assert budget.take() == 0
    assert budget.take() == pytest.approx(0.5)


def test_without_a_budget_limit_the_policy_polls_exactly_as_the_interval_schedule() -> None:
    took = {f"job{n}": 10.0 + 37.0 * n for n in range(20)}

    def polls(policy: type[Schedule]) -> list[tuple[float, str]]:
        clock = FakeClock()
        schedule = policy(gepetto(*took), {"gepetto": Budget(1e9, clock)}, 2.0, 10.0, clock, random.Random(5))
        return run(
            schedule, clock, lambda item, now: state(item.ref.id, "x", 0.0, took[item.ref.id], now), 1e4
        )

    assert polls(LikelihoodSchedule) == polls(Schedule)


def test_the_budget_line_counts_the_requests_of_the_last_minute() -> None:
    clock = FakeClock()
    budget = Budget(2.0, clock)
    for _ in range(130):  # as fast as the budget allows: 10 at once, then two a second
        while budget.take() > 0:
            clock.now += 0.25
    assert clock.now == 60
    assert budget.line("gepetto") == "gepetto 120/120 per min"  # the 10 sent at 0 have left the minute
    clock.now += 61
    assert budget.line("gepetto") == "gepetto 0/120 per min"
