"""What `watch` prints off a terminal: a stamped line per change (pipes, NO_COLOR,
TERM=dumb), or one JSON object per change (``--json``: NDJSON). Both consume the
library's watch events; a watch's downloads print a line per finished file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from jobctl._clock import SYSTEM_CLOCK, Clock
from jobctl._text import one_line, status_label
from jobctl._watch.events import (
    DownloadFailed,
    DownloadFinished,
    DownloadNote,
    DownloadProgressed,
    DownloadStarted,
    Event,
    JobChanged,
    Note,
    PollFailed,
)
from jobctl.cli.output.progress import LinesProgress
from jobctl.cli.output.views import summary_cell
from jobctl.model import job_to_dict

Emit = Callable[[str], None]
_DOWNLOADS = (DownloadStarted, DownloadProgressed, DownloadFinished, DownloadFailed, DownloadNote)


def failure_text(event: PollFailed, limit: int) -> str:
    """``retrying: <message>`` while the ref is still watched, else the message alone."""
    return ("" if event.final else "retrying: ") + one_line(event.error.message, limit)


class LinesView:
    """A line per change, stamped in UTC: ``10:04:05Z  krea:ID  succeeded  https://...``.

    ``notice`` hears notes (an undocumented status word); ``files`` the download lines.
    """

    def __init__(self, emit: Emit, notice: Emit, files: Emit, clock: Clock = SYSTEM_CLOCK) -> None:
        self.emit, self.notice, self.clock = emit, notice, clock
        self.downloads = LinesProgress(files)

    def show(self, event: Event) -> None:
        if isinstance(event, JobChanged) and event.shown_changed:
            self._line(event.ref.provider, event.ref.id, status_label(event.job), summary_cell(event.job))
        elif isinstance(event, PollFailed):
            self._line(event.ref.provider, event.ref.id, "error", failure_text(event, 120))
        elif isinstance(event, Note):
            self.notice(event.message)
        elif isinstance(event, _DOWNLOADS):
            self.downloads.show(event)

    def _line(self, provider: str, job_id: str, state: str, detail: str) -> None:
        stamp = datetime.fromtimestamp(self.clock.time(), timezone.utc).strftime("%H:%M:%SZ")
        text = f"{stamp}  {provider}:{one_line(job_id)}  {state}"
        self.emit(f"{text}  {detail}" if detail else text)


class NdjsonView:
    """One JSON object per observed change; nothing while nothing changes.

    A change the object does not carry (AISquare's newest event without ``raw``, a job
    answering again after a transient error) prints nothing: no repeated lines. Errors
    go to ``warn`` (stderr) as they happen.
    """

    def __init__(
        self, emit: Emit, warn: Emit, notice: Emit, files: Emit, dumps: Callable[[object], str], raw: bool
    ) -> None:
        self.emit, self.warn, self.notice, self.dumps, self.raw = emit, warn, notice, dumps, raw
        self.downloads = LinesProgress(files)

    def show(self, event: Event) -> None:
        if isinstance(event, JobChanged):
            # With raw the payload is part of the object: a new event is a new line.
            if event.json_changed or (self.raw and event.raw_changed):
                self.emit(self.dumps(job_to_dict(event.job, raw=self.raw)))
        elif isinstance(event, PollFailed):
            self.warn(failure_text(event, 400))
        elif isinstance(event, Note):
            self.notice(event.message)
        elif isinstance(event, _DOWNLOADS):
            self.downloads.show(event)
