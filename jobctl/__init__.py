"""jobctl: is it done, did it fail, where is the output? Jobs on hosted AI APIs
(Krea, Creatify, Unstructured, Gepetto, AISquare, and providers you declare or plug in),
from Python or from one CLI.

    import jobctl

    job = jobctl.get("krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20")
    for event in jobctl.watch(["krea:...", "aisquare:42"], timeout=600):
        if isinstance(event, jobctl.JobChanged):
            print(event.job.id, event.job.status)
    result = jobctl.download("krea:...", dir="out")
    page = jobctl.gallery(["krea:...", "aisquare:42"], "out/gallery.html", downloads=result)

Functions (each uses a default ``Client()``, which reads the CLI's config file):
    get, get_many       a job as it is now; several, each a Job or its error
    watch               follow jobs until done: an iterable ``Watch`` of events
    wait                every job in its final state, or ``WaitTimeout``
    download            each succeeded job's files: a ``DownloadResult``
    gallery             one self-contained HTML page of jobs and their outputs

Classes:
    Client              one profile's credentials: get, get_many, watch, wait, download,
                        gallery, and where the provider documents them list_jobs,
                        cancel, cancel_many
    Job, JobError, Status, Ref          a normalized job, its error, its status, a ref
    Watch, WatchSummary                 a running watch and how it ended
    JobChanged, PollFailed, Paused, Note, Tick, WatchEnded      what a watch yields
    DownloadStarted, DownloadProgressed, DownloadFinished, DownloadFailed,
    DownloadNote, DownloadResult, Saved                         what a download reports
    Provider            the base class of provider plugins (see ``jobctl.plugin``)

Errors: ``JobctlError`` (``exit_code``, ``message``) and its subclasses ``UsageError``
and ``ConfigError`` (2), ``JobFailed`` (1), ``AuthError`` (3), ``NotFoundError`` (4),
``ProviderError`` (5), ``WaitTimeout`` (124, also a ``TimeoutError``); ``ExitCode``.

Names are imported on first use, so ``import jobctl`` (and the CLI's start-up) loads
neither requests nor rich. ``jobctl.journal`` is the job journal the CLI keeps;
``jobctl.testing`` the contract tests for a provider.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jobctl._version import __version__ as __version__

if TYPE_CHECKING:
    from jobctl._download.engine import Saved
    from jobctl._download.events import (
        DownloadFailed,
        DownloadFinished,
        DownloadNote,
        DownloadProgressed,
        DownloadStarted,
    )
    from jobctl._download.run import DownloadResult
    from jobctl._watch.events import JobChanged, Note, Paused, PollFailed, Tick, WatchEnded, WatchSummary
    from jobctl._watch.run import Watch
    from jobctl.client import Client, download, gallery, get, get_many, wait, watch
    from jobctl.errors import (
        AuthError,
        ConfigError,
        ExitCode,
        JobctlError,
        JobFailed,
        NotFoundError,
        ProviderError,
        UsageError,
        WaitTimeout,
    )
    from jobctl.model import Job, JobError, Status
    from jobctl.providers.base import Provider
    from jobctl.refs import Ref

_EXPORTS = {
    "jobctl.client": ("Client", "download", "gallery", "get", "get_many", "wait", "watch"),
    "jobctl._watch.run": ("Watch",),
    "jobctl._watch.events": (
        "JobChanged",
        "Note",
        "Paused",
        "PollFailed",
        "Tick",
        "WatchEnded",
        "WatchSummary",
    ),
    "jobctl._download.events": (
        "DownloadFailed",
        "DownloadFinished",
        "DownloadNote",
        "DownloadProgressed",
        "DownloadStarted",
    ),
    "jobctl._download.run": ("DownloadResult",),
    "jobctl._download.engine": ("Saved",),
    "jobctl.errors": (
        "AuthError",
        "ConfigError",
        "ExitCode",
        "JobFailed",
        "JobctlError",
        "NotFoundError",
        "ProviderError",
        "UsageError",
        "WaitTimeout",
    ),
    "jobctl.model": ("Job", "JobError", "Status"),
    "jobctl.providers.base": ("Provider",),
    "jobctl.refs": ("Ref",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "AuthError",
    "Client",
    "ConfigError",
    "DownloadFailed",
    "DownloadFinished",
    "DownloadNote",
    "DownloadProgressed",
    "DownloadResult",
    "DownloadStarted",
    "ExitCode",
    "Job",
    "JobChanged",
    "JobError",
    "JobFailed",
    "JobctlError",
    "NotFoundError",
    "Note",
    "Paused",
    "PollFailed",
    "Provider",
    "ProviderError",
    "Ref",
    "Saved",
    "Status",
    "Tick",
    "UsageError",
    "WaitTimeout",
    "Watch",
    "WatchEnded",
    "WatchSummary",
    "download",
    "gallery",
    "get",
    "get_many",
    "wait",
    "watch",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jobctl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
