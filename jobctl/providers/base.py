"""What every provider shares: auth styles, id rules, status mapping, payload readers.

A provider module only declares its particulars (see ``gepetto.py`` for the
smallest) and implements ``normalize`` for its own payload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import quote

from jobctl.errors import UpstreamError, UsageError
from jobctl.model import Job, JobError, Status, json_kind, parse_timestamp

# --- auth styles ------------------------------------------------------------


class Auth(Protocol):
    def headers(self, creds: Mapping[str, str]) -> dict[str, str]: ...

    def describe(self, creds: Mapping[str, str]) -> str: ...


class BearerAuth:
    """``Authorization: <scheme> <secret>``; the profile may change the scheme word."""

    # Plain classes, not dataclasses: these load on every run, and @dataclass costs
    # a few hundred microseconds of start-up each.
    def __init__(self, field: str = "api_key", scheme: str = "Bearer") -> None:
        self.field, self.scheme = field, scheme

    def _scheme(self, creds: Mapping[str, str]) -> str:
        return creds.get("auth_scheme") or self.scheme

    def headers(self, creds: Mapping[str, str]) -> dict[str, str]:
        return {"Authorization": f"{self._scheme(creds)} {creds[self.field]}"}

    def describe(self, creds: Mapping[str, str]) -> str:
        return f"Authorization: {self._scheme(creds)} <{self.field}>"


class HeaderAuth:
    """One or more custom headers, each carrying one credential field."""

    def __init__(self, fields: tuple[tuple[str, str], ...]) -> None:
        self.fields = fields  # (header, credential field) pairs

    def headers(self, creds: Mapping[str, str]) -> dict[str, str]:
        return {header: creds[name] for header, name in self.fields}

    def describe(self, creds: Mapping[str, str]) -> str:
        return " + ".join(f"{header}: <{name}>" for header, name in self.fields)


# --- id rules ---------------------------------------------------------------


class IdRule(Protocol):
    @property
    def description(self) -> str: ...

    def __call__(self, raw: str) -> str: ...


_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
# Lone surrogates (undecodable bytes in argv) cannot be percent-encoded as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class SingleSegment:
    description = "a non-empty id without '/', spaces or control characters"

    def __call__(self, raw: str) -> str:
        if (
            not raw
            or "/" in raw
            or "\\" in raw
            or raw in (".", "..")
            or _CONTROL.search(raw)
            or _SURROGATE.search(raw)
        ):
            raise ValueError(self.description)
        if len(raw) > 512:
            raise ValueError("an id of at most 512 characters")
        return raw


class UuidId:
    description = "a UUID like 3c90c3cc-0d44-4b50-8888-8dd25736052a"

    def __call__(self, raw: str) -> str:
        if not _UUID.fullmatch(raw):
            raise ValueError(self.description)
        return raw


class PositiveInt:
    description = "a positive integer like 42"

    def __call__(self, raw: str) -> str:
        # Leading zeros are dropped (007 is job 7); the value must fit a signed 64-bit id.
        if not raw.isascii() or not raw.isdigit() or len(raw) > 64 or not 0 < int(raw) < 2**63:
            raise ValueError(self.description)
        return str(int(raw))


SINGLE_SEGMENT = SingleSegment()
UUID = UuidId()
POSITIVE_INT = PositiveInt()


# --- payload readers (tolerant: wrong types become None) ---------------------


def value_at(body: object, path: str) -> Any:
    """The value at a dotted path (``result.urls``, ``output.0``), or None where it breaks off."""
    value = body
    for step in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isascii() and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def timestamp(body: Mapping[str, Any], key: str) -> datetime | None:
    return parse_timestamp(body.get(key))


def mapping(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    return value if isinstance(value, Mapping) else {}


def error_of(code: object = None, message: object = None) -> JobError | None:
    """A JobError when the provider said anything about one, else None."""
    c = str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) else None
    m = message if isinstance(message, str) and message.strip() else None
    if c is None and m is None:
        return None
    return JobError(code=c, message=m)


def collect_outputs(value: object, _path: str = "") -> list[str]:
    """Flatten a provider's result value into output strings.

    Strings are kept (a string holding a JSON list is unpacked), numbers become
    strings, lists are flattened, and mapping leaves that are not URLs are shown
    as ``key=value`` so an id keeps its meaning.
    """
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [f"{_path}={value}" if _path else str(value)]
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return []
        if stripped[0] in "[{":
            try:
                decoded = json.loads(stripped)
            except ValueError:
                decoded = None
            if isinstance(decoded, (list, dict)):
                return collect_outputs(decoded, _path)
        if _path and not stripped.lower().startswith(("http://", "https://")):
            return [f"{_path}={stripped}"]
        return [stripped]
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, item in value.items():
            out.extend(collect_outputs(item, f"{_path}.{key}" if _path else str(key)))
        return out
    if isinstance(value, Iterable):
        return [o for item in value for o in collect_outputs(item, _path)]
    return []


# --- the provider interface -------------------------------------------------


class Provider:
    """One hosted API. Subclasses declare; ``normalize`` reads their payload."""

    name: ClassVar[str]
    title: ClassVar[str]
    docs_url: ClassVar[str]
    default_base_url: ClassVar[str]
    path: ClassVar[str]  # with "{id}"
    statuses: ClassVar[Mapping[str, Status]]
    auth: ClassVar[Auth] = BearerAuth()
    id_rule: ClassVar[IdRule] = SINGLE_SEGMENT
    status_field: ClassVar[str] = "status"  # where the status word sits; dotted for nested
    credentials: ClassVar[tuple[str, ...]] = ("api_key",)
    # Profile keys this provider accepts besides its credentials.
    options: ClassVar[tuple[str, ...]] = ("base_url", "timeout", "max_rps", "max_rpm")

    def env_var(self, field: str) -> str:
        return f"{self.name}_{field}".upper()

    def validate_id(self, raw: str) -> str:
        try:
            return self.id_rule(raw)
        except ValueError as exc:
            shown = json.dumps(raw)
            raise UsageError(f"{self.name}: invalid job id {shown}: expected {exc}") from None

    def job_path(self, job_id: str) -> str:
        return self.path.format(id=quote(job_id, safe=""))

    def status_of(self, word: object) -> tuple[Status, str]:
        """Map the provider's word (case-insensitively) to a Status; keep the word."""
        shown = word if isinstance(word, str) else ("" if word is None else json.dumps(word))
        if not isinstance(word, str):
            return Status.UNKNOWN, shown
        key = word.strip().lower()
        for known, status in self.statuses.items():
            if known.lower() == key:
                return status, shown
        return Status.UNKNOWN, shown

    def finished(self, body: Mapping[str, Any]) -> bool:
        return self.status_of(value_at(body, self.status_field))[0].done

    def job(self, job_id: str, body: Mapping[str, Any], status_key: str | None = None, **fields: Any) -> Job:
        """Build the Job from the fields a provider read, filling what all share.

        Every spec requires the status word: an object without one (or with a number,
        a list...) is not the documented job, so it is an upstream error, not a job
        in an "unknown" state. A word nobody documented is still a job: ``unknown``.
        """
        status_key = status_key or self.status_field
        value = value_at(body, status_key)
        if not isinstance(value, str):
            what = (
                f"the answer has no '{status_key}'"
                if value is None
                else f"the answer's '{status_key}' is {json_kind(value)}, not a word"
            )
            raise UpstreamError(f"{self.name}:{job_id}: {what}; not the documented {self.title} job")
        status, word = self.status_of(value)
        return Job(provider=self.name, id=job_id, status=status, provider_status=word, raw=body, **fields)

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        raise NotImplementedError
