"""The sizes and durations people type (``500MB``, ``1h30m``) and how jobctl writes them."""

from __future__ import annotations

import re
from datetime import timedelta

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024}


def _unit(suffix: str) -> int | None:
    suffix = suffix.lower()
    if suffix in _UNITS:
        return _UNITS[suffix]
    power = "kmgt".find(suffix[0]) + 1
    if not power:
        return None
    rest = suffix[1:]
    base = {"": 1024, "b": 1000, "ib": 1024}.get(rest)
    return None if base is None else base**power


def parse_size(text: str) -> int:
    """``5GiB``, ``500MB``, ``10M``, ``1024`` -> bytes. K/M/G/T and KiB... are 1024-based,
    KB/MB/GB/TB 1000-based."""
    match = _SIZE.match(text)
    scale = _unit(match.group(2)) if match else None
    if not match or scale is None:
        raise ValueError(f"'{text}' is not a size; use e.g. 500MB, 2GiB or 1048576")
    number = float(match.group(1)) * scale
    if not number < 2**63:  # also inf, from a few hundred digits: no file is that large
        raise ValueError(f"'{text}' is more than any file can be; use e.g. 500MB or 2GiB")
    value = int(number)
    if value <= 0:
        raise ValueError(f"'{text}' must be more than 0 bytes")
    return value


def size_limit(value: object, name: str = "max_size") -> int:
    """A cap in bytes from what a caller gives: a number of bytes, or a size as
    ``parse_size`` reads it (``"500MB"``, ``"2GiB"``). UsageError names ``name`` (the
    library's parameter, or the command line's ``--max-size``) for anything else."""
    from jobctl.errors import UsageError

    if isinstance(value, str):
        try:
            return parse_size(value)
        except ValueError as exc:
            raise UsageError(f"{name} {exc}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(
            f"{name} must be a size such as '500MB' or '2GiB', or a number of bytes, not {value!r}"
        )
    if value <= 0:
        raise UsageError(f"{name} {value} must be more than 0 bytes")
    return value


def format_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


_DURATION_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([dhms])")


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``1.5m``, ``10m``, ``1h30m``, ``2m30s``, ``1d`` -> seconds (> 0).

    A compound names each unit at most once, largest first, as ``1d2h3m4s``.
    """
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        seconds = _compound_seconds(value, text)
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"'{text}' must be a positive duration, e.g. 90s, 10m or 1h30m")
    return seconds


def _compound_seconds(value: str, text: str) -> float:
    bad = ValueError(f"'{text}' is not a duration; use e.g. 90, 90s, 10m, 1h30m or 1d")
    seconds, at, last = 0.0, 0, float("inf")
    while at < len(value):
        match = _DURATION_PART.match(value, at)
        if not match:
            raise bad
        scale = _DURATION_UNITS[match.group(2)]
        if scale >= last:  # "30m1h", "1m1m": a typo more likely than a sum
            raise bad
        seconds += float(match.group(1)) * scale
        at, last = match.end(), scale
    if not value:
        raise bad
    return seconds


def format_duration(delta: timedelta | None) -> str:
    """``42s``, ``3m05s``, ``2h07m``, ``3d04h``; ``-`` for none."""
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"
