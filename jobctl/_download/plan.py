"""What `download` fetches and what it calls each file, before anything is sent.

File names follow the contract: ``DIR/<provider>-<id>[-<n>]<ext>``, ``n`` counting from
1 when a job has more than one URL output, the id reduced to ``[A-Za-z0-9._-]`` (so a
name is one path segment and never leaves DIR), ``<ext>`` from the URL path, else from
the Content-Type, else none.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from jobctl._dirs import expand_user
from jobctl._rules import is_url
from jobctl._text import one_line, status_label
from jobctl._wording import LIBRARY, Wording
from jobctl.errors import JobctlError, JobFailed, UsageError
from jobctl.model import Status

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from jobctl.model import Job

DEFAULT_MAX_SIZE = 5 * 1024**3  # bytes: larger files are refused unless asked for
_URL_EXT = re.compile(r"\.[A-Za-z0-9]{1,8}$")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]")
# Content-Type -> extension for names whose URL has none; anything else asks the
# standard table (built-in only, so the name never depends on /etc/mime.types).
_TYPE_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/avif": ".avif",
    "image/svg+xml": ".svg",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/ogg": ".ogg",
    "application/json": ".json",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/html": ".html",
    "text/csv": ".csv",
}


def safe_id(job_id: str) -> str:
    return _UNSAFE_ID.sub("_", job_id)


def extension_from_url(url: str) -> str | None:
    last = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    match = _URL_EXT.search(last)
    return match.group() if match and match.start() > 0 else None


def extension_from_type(content_type: str | None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    if not kind or kind == "application/octet-stream":
        return ""
    if kind in _TYPE_EXT:
        return _TYPE_EXT[kind]
    import mimetypes

    guess = mimetypes.MimeTypes().guess_extension(kind) or ""
    return guess if _URL_EXT.fullmatch(guess) else ""


@dataclass(frozen=True)
class Target:
    """One output file of one job: where it comes from and the name it gets (less ext)."""

    provider: str
    job_id: str
    url: str
    stem: str  # "<provider>-<id>[-<n>]"

    @property
    def ref(self) -> str:
        return f"{self.provider}:{self.job_id}"


def targets_for(job: Job) -> tuple[list[Target], list[str]]:
    """The job's downloadable outputs (numbered when there are several) and the rest."""
    urls = list(dict.fromkeys(o for o in job.outputs if is_url(o)))
    others = [o for o in job.outputs if not is_url(o)]
    stem = f"{job.provider}-{safe_id(job.id)}"
    if len(urls) == 1:
        return [Target(job.provider, job.id, urls[0], stem)], others
    return [Target(job.provider, job.id, u, f"{stem}-{n}") for n, u in enumerate(urls, 1)], others


def prepare_dir(path: str | os.PathLike[str], env: Mapping[str, str], name: str = "dir") -> Path:
    """The directory for downloads (``~`` is ``env``'s HOME), created if missing;
    UsageError (exit 2) naming it as ``name`` (the argument or the option it came from)
    when it cannot hold them."""
    folder = expand_user(path, env)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{name} {folder} exists and is not a directory; choose another {name}") from None
    except OSError as exc:
        raise UsageError(
            f"{name} {folder}: cannot create it ({exc.strerror}); choose another {name}"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{name} {folder} is not writable; fix its permissions or choose another {name}")
    return folder


def not_ready(job: Job, words: Wording = LIBRARY) -> JobFailed:
    """Why a job that has not succeeded has nothing to download (exit 1)."""
    ref = f"{job.provider}:{one_line(job.id)}"
    if job.done:
        return JobFailed(f"{ref}: the job {status_label(job)}; nothing to download")
    return JobFailed(
        f"{ref}: the job is {status_label(job)}, not finished; nothing downloaded "
        f"({words.wait_for_files.format(ref=ref)})"
    )


def plan(
    jobs: Sequence[Job], note: Callable[[str, str], None], words: Wording = LIBRARY
) -> tuple[list[Target], list[JobctlError]]:
    """The files to fetch, in job order; ``note(message, ref)`` for each output that is no
    URL and each job without outputs; an error per job that has not succeeded."""
    targets: list[Target] = []
    errors: list[JobctlError] = []
    for job in jobs:
        if job.status is not Status.SUCCEEDED:
            error = not_ready(job, words)
            error.ref = (job.provider, job.id)
            errors.append(error)
            continue
        files, others = targets_for(job)
        ref = f"{job.provider}:{one_line(job.id)}"
        for other in others:
            note(f"{ref}: not downloadable (not an http(s) URL): {one_line(other, 200)}", ref)
        if not files and not others:
            note(f"{ref}: the job reported no output files", ref)
        targets.extend(files)
    return targets, errors
