"""What a watch reports, in the order it happens: the events ``Client.watch`` yields
(a watch with downloads also yields the download events of ``jobctl._download.events``).

Displays (the CLI's live table, its line mode, NDJSON, progress bars) are consumers
of these; none of them decides when or what to poll.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jobctl._download.events import (
    DownloadFailed,
    DownloadFinished,
    DownloadNote,
    DownloadProgressed,
    DownloadStarted,
)
from jobctl.errors import ExitCode, JobctlError
from jobctl.model import Job, Status
from jobctl.refs import Ref

if TYPE_CHECKING:
    from jobctl._download.run import DownloadResult


@dataclass(frozen=True)
class JobChanged:
    """A poll brought news about a job: a new state, or it answers again after an error.

    ``json_changed``: its JSON object (``job.to_dict()``) differs from the last one;
    ``raw_changed``: the provider's payload differs (a new AISquare event, say);
    ``shown_changed``: anything a person sees differs (the object, the newest activity,
    an error gone).
    """

    ref: Ref
    job: Job
    json_changed: bool = True
    raw_changed: bool = True
    shown_changed: bool = True


@dataclass(frozen=True)
class PollFailed:
    """A poll failed with ``error``; ``final``: asking again cannot help (404, refused
    credentials, an answer nobody can read), so this ref's watch is over."""

    ref: Ref
    error: JobctlError
    final: bool


@dataclass(frozen=True)
class Paused:
    """A provider asked for quiet (429, ``Retry-After``, a rate-limit header): nothing is
    sent to it for ``seconds``."""

    provider: str
    seconds: float


@dataclass(frozen=True)
class Note:
    """Something worth saying once that is no error: a status word nobody documented."""

    message: str
    ref: Ref | None = None


@dataclass(frozen=True)
class Tick:
    """A second passed without news: time to redraw the clocks of a live display."""


@dataclass(frozen=True)
class WatchSummary:
    """How a watch ended.

    ``refs``: every ref watched; ``jobs``: each job's last known state, in that order; ``failures``: the refs
    whose watch ended in an error; ``not_done``: the refs still unfinished (a timeout);
    ``requests``: requests sent in the last minute per provider; ``exit_code`` as the
    CLI's ``watch --until-done`` exits (the timeout's 124 included).
    """

    refs: tuple[Ref, ...]
    jobs: tuple[Job, ...]
    failures: tuple[JobctlError, ...]
    not_done: tuple[Ref, ...]
    timed_out: bool
    exit_code: ExitCode
    requests: dict[str, int] = field(default_factory=dict)
    downloads: DownloadResult | None = None

    def counts(self) -> Counter[Status]:
        """Jobs per status."""
        return Counter(job.status for job in self.jobs)


@dataclass(frozen=True)
class WatchEnded:
    """The last event: every job is done, or the timeout ran out (``summary.timed_out``;
    the iterator then raises ``WaitTimeout``)."""

    summary: WatchSummary


Event = (
    JobChanged
    | PollFailed
    | Paused
    | Note
    | Tick
    | DownloadStarted
    | DownloadProgressed
    | DownloadFinished
    | DownloadFailed
    | DownloadNote
    | WatchEnded
)

__all__ = [
    "DownloadFailed",
    "DownloadFinished",
    "DownloadNote",
    "DownloadProgressed",
    "DownloadStarted",
    "Event",
    "JobChanged",
    "Note",
    "Paused",
    "PollFailed",
    "Tick",
    "WatchEnded",
    "WatchSummary",
]
