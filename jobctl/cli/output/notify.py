"""``watch --notify``: a terminal bell and a desktop notification when a watch ends.

The notifier is whichever of ``notify-send`` (Linux, BSD) or ``osascript`` (macOS) is
on PATH; with neither, or one that fails, the bell alone (on a terminal) is the
notice. Nothing here is ever an error.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from typing import IO

from jobctl._watch.events import WatchSummary
from jobctl.model import Status

TITLE = "jobctl watch"
NOTIFIER_TIMEOUT = 5.0  # seconds; a hung notification daemon must not hold up the exit


def notice_text(summary: WatchSummary) -> str:
    """``3 succeeded, 1 failed``, and the errors and unfinished jobs when there are any."""
    counts = summary.counts()
    succeeded = counts[Status.SUCCEEDED]
    failed = sum(n for status, n in counts.items() if status.done and not status.ok)
    # After a timeout a ref that ended in an error counts among the unfinished.
    errors = 0 if summary.timed_out else len(summary.failures)
    parts = [f"{succeeded} succeeded", f"{failed} failed"]
    if errors:
        parts.append(f"{errors} error{'s' if errors > 1 else ''}")
    unfinished = len(summary.refs) - succeeded - failed - errors
    if unfinished > 0:
        parts.append(f"{unfinished} not done")
    return ", ".join(parts)


def _osascript_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def notifier_commands(body: str, title: str = TITLE, path: str | None = None) -> list[list[str]]:
    """The desktop notifiers on ``path`` (a PATH value), most native first, as the commands to run."""
    found = []
    send, script = shutil.which("notify-send", path=path), shutil.which("osascript", path=path)
    if send:
        found.append([send, "--app-name=jobctl", title, body])
    if script:
        notice = f"display notification {_osascript_text(body)} with title {_osascript_text(title)}"
        found.append([script, "-e", notice])
    return found[::-1] if sys.platform == "darwin" else found


def notify(body: str, terminals: Iterable[IO[str]], environ: Mapping[str, str], title: str = TITLE) -> None:
    """Ring the bell on the first terminal among ``terminals`` and show a desktop notice
    with a notifier on ``environ``'s PATH."""
    for stream in terminals:
        try:
            if stream.isatty():
                stream.write("\a")
                stream.flush()
                break
        except (OSError, ValueError):
            continue
    for command in notifier_commands(body, title, environ.get("PATH")):
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=NOTIFIER_TIMEOUT,
                env=dict(environ),
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return
