"""What a download reports while it works: the events ``Client.download`` hands its
``progress`` callback, and ``Client.watch`` yields beside its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jobctl.errors import JobctlError

if TYPE_CHECKING:
    from jobctl._download.engine import Saved
    from jobctl._download.plan import Target


@dataclass(frozen=True)
class DownloadStarted:
    """Bytes of ``target`` start to arrive into ``name`` (``done`` of ``total`` already there)."""

    target: Target
    name: str
    total: int | None
    done: int


@dataclass(frozen=True)
class DownloadProgressed:
    """``done`` bytes of ``target`` are on disk now (at most ten reports a second)."""

    target: Target
    done: int


@dataclass(frozen=True)
class DownloadFinished:
    """A file is complete on disk (or was already there: ``saved.skipped``)."""

    saved: Saved


@dataclass(frozen=True)
class DownloadFailed:
    """A file could not be downloaded; its ``.part``, if any, stays for the next run."""

    target: Target
    error: JobctlError


@dataclass(frozen=True)
class DownloadNote:
    """An output that is not a downloadable URL (an Unstructured file id), or a job that
    reported no files: said once, and no error."""

    message: str
    ref: str


DownloadEvent = DownloadStarted | DownloadProgressed | DownloadFinished | DownloadFailed | DownloadNote
