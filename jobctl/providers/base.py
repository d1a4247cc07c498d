"""What every provider shares: auth styles, id rules, status mapping, payload readers,
and the optional list and cancel endpoints.

A provider module only declares its particulars (see ``gepetto.py`` for the
smallest) and implements ``normalize`` for its own payload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import quote

from jobctl._rules import is_url
from jobctl.errors import ProviderError, UsageError
from jobctl.model import Job, JobError, Status, json_kind, parse_timestamp
from jobctl.providers.profile_keys import COMMON_OPTIONS

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


_PY_LIST = re.compile(r"""\[\s*(?:(?:'[^'\\]*'|"[^"\\]*")\s*(?:,\s*|(?=\])))*\]""")
_PY_ITEM = re.compile(r"'([^'\\]*)'|\"([^\"\\]*)\"")


def _decoded(text: str) -> object:
    """A string that holds a JSON list/object or a Python-style list of strings, decoded.

    ``"['https://a', 'https://b']"`` (a Python ``str(list)``) is read by a pattern,
    never evaluated; any other string comes back stripped.
    """
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
        if _PY_LIST.fullmatch(stripped):
            return [a or b for a, b in _PY_ITEM.findall(stripped)]
    return stripped


def files(value: object) -> list[str]:
    """Output files named by one field: a URL or file id, a list of them (real, JSON or
    Python-style), or objects with a ``url``. Anything else names no file."""
    if isinstance(value, str):
        decoded = _decoded(value)
        if isinstance(decoded, str):
            return [decoded] if decoded else []
        return files(decoded)
    if isinstance(value, Mapping):
        url = value.get("url")
        return files(url) if isinstance(url, str) else []
    if isinstance(value, list):
        return [f for item in value for f in files(item)]
    return []


_DROPPED = object()


def split_result(value: object) -> tuple[list[str], dict[str, Any]]:
    """A free-form result: its http(s) URLs are outputs; everything else stays in
    ``results`` with its structure (a container left empty by the URLs is dropped)."""
    outputs: list[str] = []

    def rest(item: object) -> object:
        if isinstance(item, str) and is_url(url := item.strip()):
            outputs.append(url)
            return _DROPPED
        if isinstance(item, Mapping):
            kept = {str(k): r for k, v in item.items() if (r := rest(v)) is not _DROPPED}
            return kept if kept or not item else _DROPPED
        if isinstance(item, list):
            kept_items = [r for v in item if (r := rest(v)) is not _DROPPED]
            return kept_items if kept_items or not item else _DROPPED
        return item

    left = rest(value)
    if left is _DROPPED or left is None:
        return outputs, {}
    return outputs, left if isinstance(left, dict) else {"result": left}


# --- list and cancel endpoints (optional) -------------------------------------


class ListEndpoint:
    """A documented endpoint listing the account's recent jobs: GET ``path``.

    ``items``: the dotted path of the jobs in the answer ("" when the answer is the
    array itself); each is shaped like the GET answer, its id at ``id_field``.
    ``next``: the fields that may hold the next page's cursor or URL, tried in order
    (none: one page). ``limit``, ``status``, ``cursor``: the names of the query
    parameters for the page size (at most ``max_limit``), the provider's own status
    word and the cursor; None where the provider documents none.
    """

    def __init__(
        self,
        path: str,
        *,
        items: str = "",
        id_field: str = "id",
        next: tuple[str, ...] = (),
        limit: str | None = None,
        max_limit: int = 1000,
        status: str | None = None,
        cursor: str = "cursor",
    ) -> None:
        self.path, self.items, self.id_field, self.next = path, items, id_field, next
        self.limit, self.max_limit, self.status, self.cursor = limit, max_limit, status, cursor

    def describe(self) -> str:
        """The documented answer, for errors: ``object with 'items'`` or ``array of jobs``."""
        return f"object with '{self.items}'" if self.items else "array of jobs"


class CancelEndpoint:
    """A documented endpoint that asks the provider to stop a job: ``method path``,
    ``path`` holding ``{id}``. Whatever it answers with a 2xx is an acceptance; the
    job is read again to see what became of it."""

    def __init__(self, method: str, path: str) -> None:
        self.method, self.path = method.upper(), path


# --- the provider interface -------------------------------------------------

# Terminal words the specs do not list, read by meaning (PRODUCT.md, "Reading real
# answers"); a provider's own table always wins.
COMMON_WORDS = {
    **dict.fromkeys(("canceled", "cancelled"), Status.CANCELLED),
    **dict.fromkeys(("error", "errored", "failure", "expired", "timeout", "timed_out"), Status.FAILED),
    **dict.fromkeys(("success", "succeeded", "complete", "completed", "done", "finished"), Status.SUCCEEDED),
}


class Provider:
    """One hosted API. Subclasses declare; ``normalize`` reads their payload.

    ``list_endpoint`` and ``cancel_endpoint`` are declared only where the API documents
    them; the hooks below read them, and a plugin may override a hook instead.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    docs_url: ClassVar[str]
    default_base_url: ClassVar[str]
    path: ClassVar[str]  # with "{id}"
    auth: ClassVar[Auth] = BearerAuth()
    id_rule: ClassVar[IdRule] = SINGLE_SEGMENT
    # The provider's words to jobctl.Status members, or to the same words as text ("queued").
    statuses: ClassVar[Mapping[str, Status | str]]
    status_field: ClassVar[str] = "status"  # where the status word sits; dotted for nested
    credentials: ClassVar[tuple[str, ...]] = ("api_key",)
    # Profile keys this provider accepts besides its credentials (see jobctl.providers.profile_keys).
    options: ClassVar[tuple[str, ...]] = COMMON_OPTIONS
    list_endpoint: ClassVar[ListEndpoint | None] = None
    cancel_endpoint: ClassVar[CancelEndpoint | None] = None
    _words: ClassVar[dict[str, Status] | None] = None

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
        words = type(self).__dict__.get("_words")  # per class: a subclass has its own table
        if words is None:
            words = {**COMMON_WORDS, **self.documented_words()}
            type(self)._words = words
        return words.get(word.strip().lower(), Status.UNKNOWN), shown

    def documented_words(self) -> dict[str, Status]:
        """The ``statuses`` table, lower-cased, each meaning a Status member."""
        return {k.lower(): Status(v) for k, v in self.statuses.items()}

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
            raise ProviderError(f"{self.name}:{job_id}: {what}; not the documented {self.title} job")
        status, word = self.status_of(value)
        return Job(provider=self.name, id=job_id, status=status, provider_status=word, raw=body, **fields)

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        raise NotImplementedError

    # --- optional: one more request for a job (Unstructured's failed reason) ---------

    def follow_up(self, job: Job) -> str | None:
        """A path to GET for more about ``job`` than its answer says, or None (the default).
        Its failure never costs the answer: the job is shown as it was read."""
        return None

    def read_follow_up(self, job: Job, body: Mapping[str, Any]) -> Job:
        """``job`` with what the follow-up answer ``body`` adds."""
        return job

    # --- optional: listing and cancelling (see ListEndpoint, CancelEndpoint) ---------

    def filter_word(self, status: Status) -> str | None:
        """The provider's own word to filter its list by, when exactly one of its words
        means ``status`` and it takes a status filter; else None (jobctl filters)."""
        endpoint = self.list_endpoint
        words = [word for word, meaning in self.statuses.items() if Status(meaning) is status]
        return words[0] if endpoint is not None and endpoint.status and len(words) == 1 else None

    def list_params(self, status_word: str | None, limit: int, cursor: str | None) -> dict[str, str]:
        """The query of one list request: page size, the provider's status word, cursor."""
        endpoint = self.list_endpoint
        params: dict[str, str] = {}
        if endpoint is None:
            return params
        if endpoint.limit:
            params[endpoint.limit] = str(min(limit, endpoint.max_limit))
        if status_word and endpoint.status:
            params[endpoint.status] = status_word
        if cursor:
            params[endpoint.cursor] = cursor
        return params

    def read_list(self, body: object) -> tuple[list[Any], str | None]:
        """One list answer's items and its next page (a cursor or a URL; None: the last
        page). A ProviderError when the answer is not the documented shape."""
        endpoint = self.list_endpoint
        assert endpoint is not None, "read_list needs a list_endpoint"
        wanted = endpoint.describe()
        items: object = body
        if endpoint.items and isinstance(body, Mapping):
            items = value_at(body, endpoint.items)
            if not isinstance(items, list):
                what = "no" if items is None else f"{json_kind(items)} for"
                raise ProviderError(
                    f"{self.name}: the list answer has {what} '{endpoint.items}', not the documented {wanted}"
                )
        if not isinstance(items, list) or (endpoint.items and not isinstance(body, Mapping)):
            raise ProviderError(
                f"{self.name}: the list answer is {json_kind(body)}, not the documented {wanted}"
            )
        after = None
        for field in endpoint.next:
            value = value_at(body, field)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                after = str(value).strip()
                break
        return items, after

    def listed_id(self, item: object, n: int) -> str:
        """The id of the ``n``-th listed job (from 1), checked by the id rule."""
        endpoint = self.list_endpoint
        field = endpoint.id_field if endpoint is not None else "id"
        where = f"{self.name}: the list answer's job {n}"
        if not isinstance(item, Mapping):
            raise ProviderError(f"{where} is {json_kind(item)}, not a job object")
        value = value_at(item, field)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            raise ProviderError(f"{where} has no '{field}'; not the documented {self.title} job")
        try:
            return self.validate_id(str(value))
        except UsageError:
            raise ProviderError(f"{where} has an id jobctl cannot ask about: {json.dumps(value)}") from None

    def cancel_request(self, job_id: str) -> tuple[str, str]:
        """(method, path) of the request that asks the provider to stop ``job_id``."""
        endpoint = self.cancel_endpoint
        assert endpoint is not None, "cancel_request needs a cancel_endpoint"
        return endpoint.method, endpoint.path.format(id=quote(job_id, safe=""))
