"""``watch --notify``: a terminal bell and a desktop notification when a watch ends.

The notifier is whichever of ``notify-send`` (Linux, BSD) or ``osascript`` (macOS) is
on PATH; with neither, or one that fails, the bell alone (on a terminal) is the
notice. Nothing here is ever an error.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from jobctl.model import Job, Status

TITLE = "jobctl watch"
NOTIFIER_TIMEOUT = 5.0  # seconds; a hung notification daemon must not hold up the exit

Record = Callable[[list[Job]], None]


class Tally:
    """The last state of every job a watch reported, for the closing notice."""

    def __init__(self) -> None:
        self.status: dict[tuple[str, str], Status] = {}

    def wrap(self, record: Record) -> Record:
        """``record`` (the journal's), counting each job on the way."""

        def both(jobs: list[Job]) -> None:
            for job in jobs:
                self.status[(job.provider, job.id)] = job.status
            record(jobs)

        return both

    def summary(self, watched: int, errors: int = 0) -> str:
        """``3 succeeded, 1 failed``, and the errors and unfinished jobs when there are any."""
        succeeded = sum(1 for s in self.status.values() if s is Status.SUCCEEDED)
        failed = sum(1 for s in self.status.values() if s.done and not s.ok)
        parts = [f"{succeeded} succeeded", f"{failed} failed"]
        if errors:
            parts.append(f"{errors} error{'s' if errors > 1 else ''}")
        unfinished = watched - succeeded - failed - errors
        if unfinished > 0:
            parts.append(f"{unfinished} not done")
        return ", ".join(parts)


def _osascript_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def notifier_commands(body: str, title: str = TITLE) -> list[list[str]]:
    """The desktop notifiers on PATH, most native first, as the commands to run."""
    found = []
    send, script = shutil.which("notify-send"), shutil.which("osascript")
    if send:
        found.append([send, "--app-name=jobctl", title, body])
    if script:
        notice = f"display notification {_osascript_text(body)} with title {_osascript_text(title)}"
        found.append([script, "-e", notice])
    return found[::-1] if sys.platform == "darwin" else found


def notify(body: str, title: str = TITLE, terminals: Iterable[TextIO] | None = None) -> None:
    """Ring the bell on the first terminal among ``terminals`` and show a desktop notice."""
    for stream in terminals if terminals is not None else (sys.stderr, sys.stdout):
        try:
            if stream.isatty():
                stream.write("\a")
                stream.flush()
                break
        except (OSError, ValueError):
            continue
    for command in notifier_commands(body, title):
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=NOTIFIER_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return
