"""The one place secrets are scrubbed from anything jobctl may print.

A secret is removed in every form it takes in text: as itself, escaped in a Python
``repr`` or a JSON string (once or twice over), percent-encoded, and stripped of the
line breaks and control characters that printing removes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable

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
        with self._lock:  # a snapshot: another thread may be adding a secret
            secrets = frozenset(self._secrets)
        return redact(text, secrets)


def redact(text: str, secrets: set[str] | frozenset[str] | list[str]) -> str:
    """Replace every occurrence of every secret in ``text``, in any of its forms, with ``***``."""
    ordered = _ordered(frozenset(secrets))
    while True:
        hits = [s for s in ordered if s in text]
        if not hits:
            return text
        for secret in hits:
            text = text.replace(secret, MASK)


@functools.lru_cache(maxsize=64)
def _ordered(secrets: frozenset[str]) -> tuple[str, ...]:
    # Longest first, so a secret containing another is removed whole; redact() repeats
    # until none is left, since a replacement can join text into another secret. Each
    # pass shortens the text (every form is longer than the mask), so that ends.
    forms = {form for s in secrets if len(s) > len(MASK) for form in _forms(s)}
    return tuple(sorted(forms, key=len, reverse=True))


def _repr_inner(quote: str) -> Callable[[str], str]:
    # repr() picks its quote from the whole string, so a secret inside a longer repr may
    # sit between either quote; only that quote is escaped there.
    return lambda s: "".join("\\" + ch if ch == quote else repr(ch)[1:-1] for ch in s)


def _json_inner(ascii_only: bool) -> Callable[[str], str]:
    import json

    return lambda s: json.dumps(s, ensure_ascii=ascii_only)[1:-1]


def _percent(plus: bool, lower: bool) -> Callable[[str], str]:
    from urllib.parse import quote, quote_plus

    def encode(s: str) -> str:
        text = quote_plus(s, safe="") if plus else quote(s, safe="")
        if lower:
            import re

            text = re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)
        return text

    return encode


def _printed(s: str) -> str:
    """The secret as printing leaves it: surrounding whitespace and control characters gone."""
    return "".join(ch for ch in s.strip() if ch.isprintable() or ch == " ")


_ESCAPES: tuple[Callable[[str], str], ...] = (
    _repr_inner("'"),
    _repr_inner('"'),
    lambda s: s.encode("unicode_escape").decode("ascii"),
    _json_inner(True),
    _json_inner(False),
)
_ENCODINGS: tuple[Callable[[str], str], ...] = (
    _percent(plus=False, lower=False),
    _percent(plus=False, lower=True),
    _percent(plus=True, lower=False),
    _percent(plus=True, lower=True),
)


@functools.lru_cache(maxsize=256)
def _forms(secret: str) -> frozenset[str]:
    """Every text form of ``secret`` worth scrubbing (each longer than the mask)."""
    forms = {secret, _printed(secret)}
    for escape in _ESCAPES:
        once = escape(secret)
        forms.add(once)
        forms.update(again(once) for again in _ESCAPES)  # a repr of a message holding a repr
    forms.update(encode(secret) for encode in _ENCODINGS)
    return frozenset(f for f in forms if len(f) > len(MASK))


def redact_url(url: str) -> str:
    """``url`` with any user:password and every query or fragment value masked."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = "&".join(
        f"{name}={MASK}" if sep else MASK
        for name, sep, _ in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    fragment = MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def url_secrets(url: str) -> list[str]:
    """The parts of ``url`` that may be credentials: ``user:password`` (or a lone user,
    often a key), the password, and query and fragment values; raw and percent-decoded.

    A user name beside a password is left out: it is rarely secret and often a word
    ("user", "admin") that scrubbing would cut out of every message.
    """
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    userinfo = parts.netloc.rpartition("@")[0]
    found = [userinfo, userinfo.partition(":")[2]]
    found.extend(value for _, _, value in (p.partition("=") for p in parts.query.split("&")))
    found.append(parts.fragment)
    return [v for s in found for v in dict.fromkeys((s, unquote(s))) if v]
