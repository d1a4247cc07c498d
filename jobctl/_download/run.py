"""Jobs in, files out: one download run (``Client.download``, or a watch's downloads),
reporting each file as an event and ending in a ``DownloadResult``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jobctl._download.engine import Credentials, Downloader, Saved
from jobctl._download.events import (
    DownloadEvent,
    DownloadFailed,
    DownloadFinished,
    DownloadNote,
    DownloadProgressed,
    DownloadStarted,
)
from jobctl._download.plan import DEFAULT_MAX_SIZE, Target, plan
from jobctl._wording import LIBRARY, Wording
from jobctl.errors import ExitCode, JobctlError, most_severe

if TYPE_CHECKING:
    import requests

    from jobctl.journal import Journal
    from jobctl.model import Job

Emit = Callable[[DownloadEvent], None]


@dataclass(frozen=True)
class DownloadResult:
    """What a download run did, in job order.

    ``saved``: each file written or found complete (``Saved.skipped``); ``failures``:
    each job that could not be read or has not succeeded (``JobFailed``) and each file
    that could not be downloaded (``DownloadError``), with its ``exit_code`` and the
    ``ref`` (provider, id) it is about; ``notes``: outputs that are no downloadable URL,
    jobs without files.
    """

    saved: list[Saved] = field(default_factory=list)
    failures: list[JobctlError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """Every file's path, written now or already there."""
        return [s.path for s in self.saved]

    @property
    def written(self) -> list[Path]:
        return [s.path for s in self.saved if not s.skipped]

    @property
    def skipped(self) -> list[Path]:
        """Files that were already complete and were left alone."""
        return [s.path for s in self.saved if s.skipped]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> ExitCode:
        """The CLI's exit code for the same run: 0, 1 (a job had not succeeded), 5..."""
        return most_severe([e.exit_code for e in self.failures])

    def raise_for_failures(self) -> None:
        """Raise the most severe failure, if any (its ``exit_code`` is the run's)."""
        if self.failures:
            worst = self.exit_code
            raise next(e for e in self.failures if e.exit_code == worst)

    def manifest(self) -> list[dict[str, object]]:
        """The CLI's ``download --json``: one object per file."""
        return [s.to_dict() for s in self.saved]


class _Relay:
    """The engine's progress calls, as events (from its worker threads)."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    def started(self, target: Target, name: str, total: int | None, done: int) -> None:
        self.emit(DownloadStarted(target, name, total, done))

    def advanced(self, target: Target, done: int) -> None:
        self.emit(DownloadProgressed(target, done))

    def finished(self, saved: Saved) -> None:
        self.emit(DownloadFinished(saved))

    def failed(self, target: Target, error: JobctlError) -> None:
        self.emit(DownloadFailed(target, error))


class DownloadRun:
    """``add`` jobs (while a watch runs, as each succeeds); ``finish`` waits for the last
    file and says what happened. ``emit`` hears every event, from worker threads too.

    ``checksums``: each file's SHA-256 in its ``Saved`` (about a second of CPU per GiB);
    ``journal``: where the files are remembered (``jobctl ls --json`` shows them);
    ``words``: how messages name the options.
    """

    def __init__(
        self,
        folder: Path,
        credentials: Credentials,
        emit: Emit,
        *,
        overwrite: bool = False,
        max_size: int = DEFAULT_MAX_SIZE,
        checksums: bool = False,
        log: Callable[[str], None] | None = None,
        session: requests.Session | None = None,
        journal: Journal | None = None,
        words: Wording = LIBRARY,
    ) -> None:
        self.emit = emit
        self.journal = journal
        self.words = words
        self.engine = Downloader(
            folder,
            credentials,
            overwrite,
            max_size,
            _Relay(emit),
            log,
            session,
            checksums=checksums,
            words=words,
        )
        self.order: dict[Target, int] = {}
        self.errors: list[JobctlError] = []
        self.notes: list[str] = []

    def add(self, jobs: Sequence[Job]) -> None:
        targets, errors = plan(jobs, self._note, self.words)
        self.errors += errors
        for target in targets:
            self.order.setdefault(target, len(self.order))
        self.engine.submit(targets)

    def _note(self, message: str, ref: str) -> None:
        self.notes.append(message)
        self.emit(DownloadNote(message, ref))

    @property
    def outstanding(self) -> int:
        """Files waiting or in flight."""
        return self.engine.outstanding

    def abandon(self) -> None:
        """Stop without waiting for the files (a watch left early); see Downloader.abandon."""
        self.engine.abandon()

    def finish(self, failures: Sequence[JobctlError] = ()) -> DownloadResult:
        """Wait for every file; ``failures``: errors from before (refs that could not be read)."""
        saved, failed = self.engine.wait()
        saved.sort(key=lambda s: self.order[s.target])
        if self.journal is not None:
            self.journal.record_downloads({**s.to_dict(), "path": str(s.path.absolute())} for s in saved)
        return DownloadResult(saved, [*failures, *self.errors, *failed], list(self.notes))
