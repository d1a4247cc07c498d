"""The profile options a provider entry may carry besides its credentials: declared
once here, validated by ``check``, and documented from the same table (README)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from jobctl._rules import string_problem

MAX_TIMEOUT = 86400.0  # sockets overflow on absurd timeouts; no job status needs a day


class Option(NamedTuple):
    name: str
    kind: str  # "url", "seconds", "rate" or "word"
    help: str
    default: str

    def check(self, value: Any) -> tuple[Any, str | None]:
        """(the value as jobctl uses it, None) or (None, what is wrong with it)."""
        if self.kind in ("seconds", "rate"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                return None, f"must be a positive number, not {value!r}"
            if self.kind == "seconds" and value > MAX_TIMEOUT:
                return None, f"must be at most {MAX_TIMEOUT:g} seconds (a day)"
            return float(value), None
        problem = string_problem(value)
        if problem:
            return None, problem
        # A "word" may be a ${VAR}: it is checked with is_token once expanded (settings_for).
        return value, None


OPTIONS: dict[str, Option] = {
    o.name: o
    for o in (
        Option("base_url", "url", "API origin and path prefix (proxy, region, simulator)", "per provider"),
        Option("timeout", "seconds", "connect/read timeout per request, in seconds", "30"),
        Option("max_rps", "rate", "at most this many requests per second to the provider", "none"),
        Option("max_rpm", "rate", "at most this many requests per minute (watch's budget)", "120"),
        Option("auth_scheme", "word", "the word before the key in Authorization (AISquare)", "Bearer"),
    )
}
COMMON_OPTIONS = ("base_url", "timeout", "max_rps", "max_rpm")


def options_table() -> str:
    """The Markdown table of options for the README (a test keeps the two equal)."""
    rows = ["| option | default | meaning |", "|---|---|---|"]
    rows += [f"| `{o.name}` | {o.default} | {o.help} |" for o in OPTIONS.values()]
    return "\n".join(rows)
