"""Text for people: provider text made safe to print on one line, and "did you mean"."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobctl.model import Job

# ESC sequences (CSI, OSC, other two-byte), C0/C1 controls, DEL, and the bidi
# overrides that can make text read differently from what it is.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Provider text made safe to print: no escape sequences or control characters."""
    text = _ESCAPES.sub("", text)
    text = text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` cleaned and on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(clean(text).split())
    if limit and len(flat) > limit:
        return flat[: limit - 1] + "…"
    return flat


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` when a valid word is close, else ''."""
    import difflib  # only when something is misspelt

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def status_label(job: Job) -> str:
    """``failed (rejected)``: the status, and the provider's own word where it says more."""
    word = one_line(job.provider_status, 40)
    if word and word != job.status.value:
        return f"{job.status.value} ({word})"
    return job.status.value
