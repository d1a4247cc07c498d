"""Where a watch spends each provider's request budget: on the jobs likeliest to have finished.

``LikelihoodSchedule`` is a drop-in for ``jobctl._watch.schedule.Schedule`` (the same ``due``/``record``/
``finished``/``exit_code`` and items), and as pure: no threads, no I/O, an injected clock.

- While a provider's budget pays for every poll the interval schedule wants (``--interval``
  growing x1.5 to ``--max-interval``), exactly those are sent: today's schedule.
- Durations are learned per (provider, kind) as a log-normal fit to finished jobs (the
  journal's and this watch's), once a kind has ``MIN_SAMPLES`` of them.
- A job of a learned kind and known age (``created_at``), last seen running at age ``b``,
  is due at the age ``t`` where the chance that it finished since reaches ``LIKELY``:
  ``S(t) = (1 - LIKELY) * S(b)``, ``S`` being the chance of running longer than an age.
- A job without that knowledge is due ``typical`` seconds after it was last asked: the
  time in which ``LIKELY`` of the provider's finished jobs finished (0 while none has:
  plain round-robin, the least recently asked first).
- When the budget is short it goes to the job due earliest; while none is due yet a
  request is saved, unless the budget is full (then it would be lost); and a job rests
  only ``--interval`` after a poll (or until it is due), not a grown interval.
- A rate limit (``RateLimited``) pauses the provider's budget: nothing is sent until then.

Each poll costs O(log n): per provider, a heap of resting jobs by their next allowed
poll, a heap of learned ones by when they are due, and a queue of the others.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from statistics import NormalDist

from jobctl._watch.schedule import DEFAULT_INTERVAL, MAX_INTERVAL, Budget, Clock, Schedule, Tracked
from jobctl.errors import JobctlError
from jobctl.model import Job
from jobctl.refs import Ref

LIKELY = 0.2  # poll again once the chance that the job finished since the last poll reaches this
MIN_SAMPLES = 10  # finished jobs of a kind before its durations are trusted
MIN_SIGMA = 0.1  # a kind's log-duration spread is never taken as narrower than this

_NORMAL = NormalDist()
_SQRT2 = math.sqrt(2.0)
_TINY = 1e-300


@dataclass(frozen=True)
class LogNormal:
    """Job durations in seconds whose logarithm is normal(mu, sigma)."""

    mu: float
    sigma: float

    def survival(self, age: float) -> float:
        """The chance that a job runs longer than ``age`` seconds."""
        if age <= 0:
            return 1.0
        return 0.5 * math.erfc((math.log(age) - self.mu) / (self.sigma * _SQRT2))

    def age_at_survival(self, chance: float) -> float:
        """The age by which only ``chance`` of jobs are still running (0 < chance < 1)."""
        chance = min(max(chance, _TINY), 1.0 - 1e-12)
        return math.exp(self.mu - self.sigma * _NORMAL.inv_cdf(chance))


class Durations:
    """Finished jobs' durations per (provider, kind), and the log-normal fitted to them."""

    def __init__(self) -> None:
        self._sums: dict[tuple[str, str | None], list[float]] = {}  # n, sum(log d), sum(log d ** 2)
        self._models: dict[tuple[str, str | None], LogNormal | None] = {}
        self._all: dict[str, list[float]] = {}  # every finished duration per provider, sorted

    def add(self, provider: str, kind: str | None, seconds: float) -> None:
        if not seconds > 0 or seconds == math.inf:
            return
        log = math.log(seconds)
        sums = self._sums.setdefault((provider, kind), [0.0, 0.0, 0.0])
        sums[0] += 1
        sums[1] += log
        sums[2] += log * log
        self._models.pop((provider, kind), None)
        bisect.insort(self._all.setdefault(provider, []), seconds)

    def add_job(self, job: Job) -> None:
        duration = job.duration
        if job.done and duration is not None:
            self.add(job.provider, job.kind, duration.total_seconds())

    def count(self, provider: str, kind: str | None) -> int:
        return int(self._sums.get((provider, kind), [0])[0])

    def typical(self, provider: str) -> float:
        """Seconds within which ``LIKELY`` of the provider's finished jobs finished (0: none yet)."""
        finished = self._all.get(provider, [])
        return finished[int(LIKELY * len(finished))] if len(finished) >= MIN_SAMPLES else 0.0

    def model(self, provider: str, kind: str | None) -> LogNormal | None:
        key = (provider, kind)
        if key not in self._models:
            self._models[key] = self._fit(key)
        return self._models[key]

    def _fit(self, key: tuple[str, str | None]) -> LogNormal | None:
        n, total, squares = self._sums.get(key, (0.0, 0.0, 0.0))
        if n < MIN_SAMPLES:
            return None
        mu = total / n
        variance = max(0.0, (squares - n * mu * mu) / (n - 1))
        return LogNormal(mu, max(MIN_SIGMA, math.sqrt(variance)))


@dataclass(eq=False)
class Watched(Tracked):
    """A watched job, with what the policy knows about it."""

    kind: str | None = None
    created: float | None = None  # on the schedule's clock; None until a poll or the journal says
    known: bool = False  # kind and created_at come from a poll or the journal
    looked: float = 0.0  # when it was last asked (or added)
    alive_at: float | None = None  # when it was last seen unfinished
    due_at: float = 0.0  # when a finish becomes likely enough to spend a request on it
    index: int = 0  # position in ``items``: polls are handed out in this order


Entry = tuple[float, int, Watched]


class _Lane:
    """One provider's jobs: ``resting`` until the interval schedule allows a poll, then
    ``likely`` (a learned kind, ordered by ``due_at``) or ``rotation`` (nothing learned:
    in turn, the longest unasked first)."""

    def __init__(self) -> None:
        self.resting: list[Entry] = []
        self.likely: list[Entry] = []
        self.rotation: deque[Watched] = deque()
        self.scarce = False  # the budget could not pay for every poll the intervals wanted


class LikelihoodSchedule(Schedule):
    """``jobctl._watch.schedule.Schedule`` that spends a short budget on the jobs likeliest to have finished.

    ``history``: jobs from the journal. Finished ones teach durations; an entry for a
    watched ref tells its kind and age before the first poll. ``wall`` is the Unix time
    on the same simulated or real timeline as ``clock`` (``created_at`` is wall time).
    """

    def __init__(
        self,
        refs: Sequence[Ref],
        budgets: dict[str, Budget],
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = MAX_INTERVAL,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
        *,
        history: Iterable[Job] = (),
        wall: Clock = time.time,
    ) -> None:
        super().__init__((), budgets, interval, max_interval, clock, rng)
        self.wall = wall
        self.durations = Durations()
        self._lanes: dict[str, _Lane] = {}
        self._seq = itertools.count()
        self._open = 0
        watched = {(r.provider, r.id) for r in refs}
        hints: dict[tuple[str, str], Job] = {}
        for job in history:
            if (job.provider, job.id) in watched:
                hints[(job.provider, job.id)] = job
            else:
                self.durations.add_job(job)
        for ref in refs:
            self.add(ref, hints.get((ref.provider, ref.id)))

    def add(self, ref: Ref, seen: Job | None = None) -> Tracked:
        """Watch one more job (arrivals); ``seen``: its last known state, if any."""
        now = self.clock()
        item = Watched(
            ref,
            self.start_interval,
            next_at=now,
            changed_at=now,
            budget=self.budgets.get(ref.provider),
            looked=now,
            index=len(self.items),
        )
        if seen is not None:
            self._learn(item, seen)
        self.items.append(item)
        self._open += 1
        self._rest(item)
        return item

    def due(self) -> tuple[list[Tracked], float]:
        now = self.clock()
        wait = self.max_interval
        ready: list[Tracked] = []
        for provider, lane in self._lanes.items():
            while lane.resting and lane.resting[0][0] <= now:
                self._wake(lane, heapq.heappop(lane.resting)[2])
            budget = self.budgets[provider]
            unasked = self.durations.typical(provider)
            # Enough for every poll the interval schedule wants: send them all. Too few:
            # the likeliest first, and a request may wait for a job to become likely.
            lane.scarce = budget.available() < len(lane.likely) + len(lane.rotation)
            while lane.likely or lane.rotation:
                by_chance = lane.likely[0][0] if lane.likely else math.inf
                in_turn = lane.rotation[0].looked + unasked if lane.rotation else math.inf
                soonest = min(by_chance, in_turn)
                saved = budget.available()
                if lane.scarce and soonest > now and saved < budget.capacity:
                    # Nothing likely yet: save the request for when something is, unless
                    # the budget is full and a request not sent now is a request lost.
                    wait = min(wait, soonest - now, (budget.capacity - saved) / budget.rate)
                    break
                delay = budget.take()
                if delay > 0:
                    wait = min(wait, delay)
                    break
                item = heapq.heappop(lane.likely)[2] if by_chance <= in_turn else lane.rotation.popleft()
                item.in_flight = True
                ready.append(item)
            if lane.resting:
                wait = min(wait, lane.resting[0][0] - now)
        ready.sort(key=attrgetter("index"))
        return ready, max(0.01, wait)

    def record(self, item: Tracked, outcome: Job | JobctlError) -> bool:
        assert isinstance(item, Watched)
        changed = super().record(item, outcome)
        item.looked = self.clock()
        if isinstance(outcome, Job):
            self._learn(item, outcome)
            if item.final:
                self.durations.add_job(outcome)
            else:
                item.alive_at = item.looked
        if item.final:
            self._open -= 1
        else:
            model = self._model(item)
            due = None if model is None else self._due_at(item, model)
            if due is not None and self._lanes[item.ref.provider].scarce:
                # The budget rations the polls now: a grown interval must not keep a job
                # from being asked when its finish becomes likely.
                item.next_at = min(item.next_at, max(due, item.looked + self.start_interval))
            self._rest(item)
        return changed

    @property
    def finished(self) -> bool:
        return self._open == 0

    def _rest(self, item: Watched) -> None:
        lane = self._lanes.get(item.ref.provider)
        if lane is None:
            lane = self._lanes[item.ref.provider] = _Lane()
        heapq.heappush(lane.resting, (item.next_at, next(self._seq), item))

    def _wake(self, lane: _Lane, item: Watched) -> None:
        """The interval schedule allows a poll: queue it by likelihood, or in turn."""
        model = self._model(item)
        due = None if model is None else self._due_at(item, model)
        if due is None:
            lane.rotation.append(item)
        else:
            item.due_at = due
            heapq.heappush(lane.likely, (due, next(self._seq), item))

    def _model(self, item: Watched) -> LogNormal | None:
        return self.durations.model(item.ref.provider, item.kind) if item.known else None

    def _learn(self, item: Watched, job: Job) -> None:
        item.kind, item.known = job.kind, True
        if job.created_at is not None:
            now = self.clock()
            created = job.created_at.timestamp() - (self.wall() - now)
            item.created = min(created, now)  # a provider clock ahead of ours: not a future job

    def _due_at(self, item: Watched, model: LogNormal) -> float | None:
        """When the chance that ``item`` finished since it was last seen running reaches
        ``LIKELY``; None when its age is unknown or beyond anything the model has seen."""
        created = item.created
        if created is None:
            return None
        seen_running = item.alive_at if item.alive_at is not None else created
        still = model.survival(max(0.0, seen_running - created))
        if still < _TINY:
            return None
        return created + model.age_at_survival((1.0 - LIKELY) * still)
