"""The one normalized job shape every provider is turned into, and its JSON form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any


class Status(str, Enum):
    """A job's normalized status; compares equal to (and prints as) its JSON word, so
    ``job.status == "succeeded"``. ``done``: succeeded, failed or cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    def __str__(self) -> str:  # print(job.status) says "succeeded", as the JSON does
        return self.value

    @property
    def done(self) -> bool:
        return self in _TERMINAL

    @property
    def ok(self) -> bool:
        return self is Status.SUCCEEDED


_TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED})


@dataclass(frozen=True)
class JobError:
    """What the provider said went wrong with a job: its code and message, either may be None."""

    code: str | None
    message: str | None


@dataclass(frozen=True)
class Job:
    """One job as a provider reported it, normalized: the same shape for every provider.

    ``outputs`` are files (URLs, or file ids where a provider gives ids); ``results``
    named values beside them; ``outputs_expire_at`` when the provider deletes the
    outputs (None: not known to expire) and ``outputs_removed`` whether it already
    has; ``raw`` the provider's own payload. ``to_dict()`` is
    exactly the CLI's ``--json`` object. A failed job is a ``Job`` whose status says
    so, never an exception.
    """

    provider: str
    id: str
    status: Status
    provider_status: str
    kind: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None
    # Files only (URLs, or file ids where the provider gives ids); named values go in results.
    outputs: tuple[str, ...] = ()
    results: dict[str, Any] = field(default_factory=dict, hash=False)
    error: JobError | None = None
    outputs_expire_at: datetime | None = None
    outputs_removed: bool = False
    # Newest progress line the provider reports (AISquare events); shown, not serialized.
    activity: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def done(self) -> bool:
        return self.status.done

    @property
    def duration(self) -> timedelta | None:
        end = self.finished_at or (self.updated_at if self.done else None)
        if self.created_at is None or end is None or end < self.created_at:
            return None
        return end - self.created_at

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        """Exactly the CLI's JSON object for this job (``raw=True`` adds ``raw``)."""
        return job_to_dict(self, raw=raw)


def job_to_dict(job: Job, *, raw: bool = False) -> dict[str, Any]:
    """The JSON shape of a job: the single source for --json, NDJSON and the journal."""
    out: dict[str, Any] = {
        "provider": job.provider,
        "id": job.id,
        "status": job.status.value,
        "provider_status": job.provider_status,
        "done": job.done,
        "kind": job.kind,
        "created_at": format_timestamp(job.created_at),
        "updated_at": format_timestamp(job.updated_at),
        "finished_at": format_timestamp(job.finished_at),
        "outputs": list(job.outputs),
        "results": dict(job.results),
        "error": None if job.error is None else {"code": job.error.code, "message": job.error.message},
        "outputs_expire_at": format_timestamp(job.outputs_expire_at),
        "outputs_removed": job.outputs_removed,
    }
    if raw:
        out["raw"] = job.raw
    return out


def job_from_dict(data: Mapping[str, Any]) -> Job:
    """Inverse of ``job_to_dict`` (used by the journal); tolerant of missing keys."""
    err = data.get("error")
    try:
        status = Status(str(data.get("status", "unknown")))
    except ValueError:
        status = Status.UNKNOWN
    return Job(
        provider=str(data.get("provider", "")),
        id=str(data.get("id", "")),
        status=status,
        provider_status=str(data.get("provider_status", "")),
        kind=data.get("kind") if isinstance(data.get("kind"), str) else None,
        created_at=parse_timestamp(data.get("created_at")),
        updated_at=parse_timestamp(data.get("updated_at")),
        finished_at=parse_timestamp(data.get("finished_at")),
        outputs=tuple(str(o) for o in data.get("outputs") or ()),
        results=dict(data["results"]) if isinstance(data.get("results"), dict) else {},
        error=JobError(err.get("code"), err.get("message")) if isinstance(err, dict) else None,
        activity=data.get("activity") if isinstance(data.get("activity"), str) else None,
        outputs_expire_at=parse_timestamp(data.get("outputs_expire_at")),
        outputs_removed=data.get("outputs_removed") is True,
    )


_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


def json_kind(value: object) -> str:
    """What a decoded JSON value is, in JSON's words, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds = {str: "a string", list: "an array", dict: "an object"}
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), "a number")


def parse_timestamp(value: object) -> datetime | None:
    """ISO 8601 (any offset, 'Z', or none meaning UTC) -> aware UTC datetime; else None."""
    if not isinstance(value, str):
        return None
    m = _ISO.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, sec, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(sec or 0), micro)
    except ValueError:
        return None
    offset = timedelta()
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = sign * timedelta(hours=hours, minutes=minutes)
    try:
        return (dt - offset).replace(tzinfo=timezone.utc)
    except OverflowError:
        return None


def format_timestamp(value: datetime | None) -> str | None:
    """UTC with exactly three fractional digits and ``Z``, so sorting the text sorts by time."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


_DURATION = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_CLOCK = re.compile(r"^(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


def parse_duration(value: object) -> timedelta | None:
    """ISO 8601 durations (``PT1M30S``) or Python's ``1:02:03.5`` form; else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        m = _DURATION.match(text)
        if m and text not in ("P", "PT"):
            d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
            return timedelta(days=d, hours=h, minutes=mi, seconds=s)
        m = _CLOCK.match(text)
        if m:
            days, hrs, mins, secs = m.groups()
            return timedelta(days=int(days or 0), hours=int(hrs), minutes=int(mins), seconds=float(secs))
    except OverflowError:  # more than timedelta's ~2.7 million years: not a real runtime
        return None
    return None
