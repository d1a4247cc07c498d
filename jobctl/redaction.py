"""The one place secrets are scrubbed from anything jobctl may print."""

from __future__ import annotations

import threading
from collections.abc import Iterable

MASK = "***"
# Values this short are not treated as secrets to scrub from free text: replacing
# every "a" or "12" in a message would destroy it while protecting nothing.
_MIN_SCRUB_LEN = 4


class Redactor:
    """Remembers the secrets one client (or one CLI run) loaded and removes them from text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= _MIN_SCRUB_LEN:
            with self._lock:
                self._secrets.add(secret)

    def add_all(self, secrets: Iterable[str | None]) -> None:
        for secret in secrets:
            self.add(secret)

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()

    def __call__(self, text: str) -> str:
        return redact(text, self._secrets)


def redact(text: str, secrets: set[str] | frozenset[str] | list[str]) -> str:
    """Replace every occurrence of every secret in ``text`` with ``***``."""
    # Longest first, so a secret containing another is removed whole; repeat until
    # none is left, since a replacement can join text into another secret. Each
    # pass shortens the text (secrets are longer than the mask), so this ends.
    ordered = sorted((s for s in secrets if len(s) > len(MASK)), key=len, reverse=True)
    while True:
        hits = [s for s in ordered if s in text]
        if not hits:
            return text
        for secret in hits:
            text = text.replace(secret, MASK)
