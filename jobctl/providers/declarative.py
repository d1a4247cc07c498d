"""Providers declared in the config file's ``providers:`` section.

Each declaration becomes a ``Provider`` subclass whose fields are dotted paths into
the answer. A mistake becomes a ConfigError naming its line in the file; it stops
only the refs that use that provider.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

from jobctl._rules import check_base_url, is_token, type_name
from jobctl._text import closest, one_line
from jobctl.errors import ConfigError
from jobctl.model import Job, JobError, Status, json_kind, parse_timestamp
from jobctl.providers import PROVIDERS
from jobctl.providers.base import (
    POSITIVE_INT,
    SINGLE_SEGMENT,
    UUID,
    BearerAuth,
    CancelEndpoint,
    IdRule,
    ListEndpoint,
    Provider,
    error_of,
    value_at,
)
from jobctl.providers.registry import (
    CANCEL_METHODS,
    LIST_PATH_RULE,
    NAME,
    NAME_RULE,
    Warn,
    good_list_path,
    log_warning,
    path_problem,
)

KEYS = (
    "title",
    "docs_url",
    "base_url",
    "path",
    "auth",
    "id",
    "status",
    "fields",
    "list",
    "cancel",
    "outputs_expire_after",
    "outputs_removed",
)
FIELDS = ("created_at", "updated_at", "finished_at", "kind", "outputs", "error", "results")
ID_RULES: dict[str, IdRule] = {"single-segment": SINGLE_SEGMENT, "uuid": UUID, "positive-int": POSITIVE_INT}
STATUSES = {s.value: s for s in Status if s is not Status.UNKNOWN}
_DOTTED = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
# Unix times below this are seconds (up to the year 5138), from it on milliseconds (from
# March 1973): no job's time of either kind falls on the other side.
MILLISECONDS_FROM = 100_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NUMBER = re.compile(r"^\d{1,20}(\.\d{1,20})?$")
# Headers HTTP itself sets or spends on the way (RFC 9110 7.2, 6.1, 7.6.1, 11.7.2): a key
# put there would steer the request, break its framing, or never reach the API.
HTTP_OWN_HEADERS = frozenset(
    (
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
    )
)
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class HeaderSchemeAuth:
    """``<header>: [<scheme> ]<api_key>``: the one auth style a declaration can name;
    ``env`` the variable the key comes from when the profile has none."""

    def __init__(self, header: str, scheme: str | None, env: str | None = None) -> None:
        self.header, self.scheme, self.env = header, scheme, env

    def headers(self, creds: Mapping[str, str]) -> dict[str, str]:
        key = creds["api_key"]
        return {self.header: f"{self.scheme} {key}" if self.scheme else key}

    def describe(self, creds: Mapping[str, str]) -> str:
        return f"{self.header}: {self.scheme + ' ' if self.scheme else ''}<api_key>"


class DeclaredProvider(Provider):
    """A provider read from the config file: ``fields`` name where each value sits."""

    fields: ClassVar[Mapping[str, str]] = {}
    outputs_expire_after: ClassVar[timedelta | None] = None  # counted from finished_at
    outputs_removed_field: ClassVar[str | None] = None  # true there: the provider deleted them

    def env_var(self, field: str) -> str:
        env = getattr(self.auth, "env", None)
        return env if field == "api_key" and isinstance(env, str) else super().env_var(field)

    def __init__(self, warn: Warn = log_warning) -> None:
        self.warn = warn  # what it says about answers (a time it cannot read), once each
        self._said: set[str] = set()
        self._lock = threading.Lock()  # fetch threads normalize at once

    def _at(self, body: Mapping[str, Any], name: str) -> Any:
        return value_at(body, self.fields[name]) if name in self.fields else None

    def _time(self, job_id: str, body: Mapping[str, Any], name: str) -> datetime | None:
        value = self._at(body, name)
        try:
            return read_time(value)
        except ValueError:
            pass
        with self._lock:  # once a run, not at every poll
            if name in self._said:
                return None
            self._said.add(name)
        if isinstance(value, str):
            shown = json.dumps(one_line(value, 60))
        else:
            shown = json_kind(value) if isinstance(value, (dict, list)) else json.dumps(value)
        self.warn(
            f"{self.name}:{job_id}: {name}: the answer's '{self.fields[name]}' is {shown}, not a time "
            "jobctl can read (ISO 8601, or Unix seconds or milliseconds); shown as null"
        )
        return None

    def normalize(self, job_id: str, body: Mapping[str, Any]) -> Job:
        job = self._read(job_id, body)
        if job.status is not Status.SUCCEEDED:
            return job
        removed = (
            self.outputs_removed_field is not None and value_at(body, self.outputs_removed_field) is True
        )
        expires = self.outputs_expire_after
        try:
            at = job.finished_at + expires if job.finished_at and expires else None
        except OverflowError:  # past year 9999: as good as never
            at = None
        return replace(job, outputs_expire_at=at, outputs_removed=removed)

    def _read(self, job_id: str, body: Mapping[str, Any]) -> Job:
        files, rest = split_urls(self._at(body, "outputs"))
        named: dict[str, Any] = {}
        if rest is not None:
            named[self.fields["outputs"].rsplit(".", 1)[-1]] = rest
        results = self._at(body, "results")
        if isinstance(results, Mapping):
            named.update(results)
        elif results is not None:
            named[self.fields["results"].rsplit(".", 1)[-1]] = results
        return self.job(
            job_id,
            body,
            kind=_word(self._at(body, "kind")),
            created_at=self._time(job_id, body, "created_at"),
            updated_at=self._time(job_id, body, "updated_at"),
            finished_at=self._time(job_id, body, "finished_at"),
            outputs=tuple(files),
            results=named,
            error=_error(self._at(body, "error")),
        )


# --- reading an answer ----------------------------------------------------------------

_NOTHING = object()


def split_urls(value: object) -> tuple[list[str], Any]:
    """The http(s) URLs anywhere in ``value``, and what is left of it (None if nothing).

    A URL, a list of URLs, a list of ``{"url": ...}`` objects or any JSON: the files are
    the URLs (an object with a ``url`` is one file); everything else keeps its structure.
    """
    urls: list[str] = []
    rest = _take_urls(value, urls)
    return urls, None if rest is _NOTHING else rest


def _take_urls(value: object, urls: list[str], in_list: bool = False) -> Any:
    if value is None:
        return _NOTHING
    if isinstance(value, str):
        if value.strip().lower().startswith(("http://", "https://")):
            urls.append(value.strip())
            return _NOTHING
        # In a list a blank string is a token of text ("\n\n", ""): kept, whitespace and all.
        return value if value.strip() or in_list else _NOTHING
    if isinstance(value, list):
        kept = [r for r in (_take_urls(item, urls, True) for item in value) if r is not _NOTHING]
        said = any(not isinstance(r, str) or r.strip() for r in kept)
        return kept if said else _NOTHING  # only blanks beside the URLs: nothing to keep
    if isinstance(value, Mapping):
        url = value.get("url")
        if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
            urls.append(url.strip())  # a file object: its url is the file; size, name... go with it
            return _NOTHING
        left = {k: r for k, r in ((k, _take_urls(v, urls)) for k, v in value.items()) if r is not _NOTHING}
        return left or _NOTHING
    return value


def read_time(value: object) -> datetime | None:
    """A time in an answer: ISO 8601, or Unix time in seconds or milliseconds, as a number
    or a numeric string (below ``MILLISECONDS_FROM``: seconds). None, a blank and 0 are
    how answers say "not yet": None. Anything else raises ValueError."""
    from fractions import Fraction  # exact: 1767225605.123 must not read as .122

    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            parsed = parse_timestamp(text)
            if parsed is None and text:
                raise ValueError(f"not a time: {text!r}")
            return parsed
        number = Fraction(text)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        try:
            number = Fraction(value)
        except (OverflowError, ValueError):  # inf, nan
            raise ValueError(f"not a time: {value!r}") from None
    else:
        raise ValueError(f"not a time: {value!r}")
    if number == 0:
        return None
    per_unit = 1000 if number >= MILLISECONDS_FROM else 1_000_000  # microseconds
    try:
        return _EPOCH + timedelta(microseconds=round(number * per_unit))
    except OverflowError:
        raise ValueError(f"not a time: {value!r}") from None


def _word(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def _error(value: object) -> JobError | None:
    if isinstance(value, Mapping):
        return error_of(value.get("code"), value.get("message"))
    return error_of(message=value)


# --- reading a declaration ------------------------------------------------------------


class Mistake(Exception):
    """One problem in a declaration, at a key path under ``providers``."""

    def __init__(self, keys: tuple[str, ...], problem: str) -> None:
        super().__init__(problem)
        self.keys, self.problem = keys, problem


def read_declarations(
    path: Path, section: object, warn: Warn = log_warning
) -> dict[str, Provider | ConfigError]:
    """Every declaration in ``section``, as a provider or the error that stops its refs.

    A section that is not a mapping is one error under the name ``providers``. ``warn``
    hears what the providers say about answers.
    """
    lines = _Lines(path)
    if not isinstance(section, dict):
        return {
            "providers": ConfigError(
                f"{lines.at(('providers',))}: providers must be a mapping of provider names to "
                f"declarations, not a {_kind(section)} (see config.example.yaml)"
            )
        }
    declared: dict[str, Provider | ConfigError] = {}
    for name, spec in section.items():
        try:
            declared[str(name)] = declare(str(name), spec)(warn)
        except Mistake as mistake:
            where = ".".join(("providers", *mistake.keys))
            declared[str(name)] = ConfigError(
                f"{lines.at(('providers', *mistake.keys))}: {where} {mistake.problem}"
            )
    return declared


def declare(name: str, spec: object) -> type[DeclaredProvider]:
    """The Provider subclass a declaration describes; a Mistake for the first problem."""
    at = (name,)
    if name in PROVIDERS:
        raise Mistake(at, "takes the name of a built-in provider; declare it under another name")
    if not NAME.fullmatch(name):
        raise Mistake(at, f"is not a usable name: a provider name is {NAME_RULE}")
    if not isinstance(spec, dict):
        raise Mistake(at, f"must be a mapping with base_url, path and status, not a {_kind(spec)}")
    for key in spec:
        if key not in KEYS:
            raise Mistake(
                (*at, str(key)), f"is not a declaration key{_closest(key, KEYS)}; use {', '.join(KEYS)}"
            )
    # Checked in the order a declaration is usually written, so the first mistake reported
    # is the first one in the file.
    title = _text(spec, at, "title") or name
    docs_url = _text(spec, at, "docs_url")
    base_url = _base_url(spec, at)
    path = _text(spec, at, "path", "path: /v1/jobs/{id}")
    path_rule = path_problem(path)
    if path_rule:
        raise Mistake((*at, "path"), path_rule)
    auth = _auth(spec.get("auth"), (*at, "auth"))
    id_rule = _id_rule(spec.get("id"), (*at, "id"))
    status_field, statuses = _statuses(spec.get("status"), (*at, "status"))
    fields = _fields(spec.get("fields"), (*at, "fields"))
    listing = _list(spec.get("list"), (*at, "list"))
    cancel = _cancel(spec.get("cancel"), (*at, "cancel"))
    expire_after = _expire_after(spec.get("outputs_expire_after"), (*at, "outputs_expire_after"))
    removed = spec.get("outputs_removed")
    attrs: dict[str, Any] = {
        "name": name,
        "title": title,
        "docs_url": docs_url,
        "default_base_url": base_url,
        "path": path,
        "auth": auth,
        "id_rule": id_rule,
        "status_field": status_field,
        "statuses": statuses,
        "fields": fields,
        "list_endpoint": listing,
        "cancel_endpoint": cancel,
        "outputs_expire_after": expire_after,
        "outputs_removed_field": None if removed is None else _dotted(removed, (*at, "outputs_removed")),
    }
    return type(f"Declared_{name}", (DeclaredProvider,), attrs)


def _base_url(spec: Mapping[str, Any], at: tuple[str, ...]) -> str:
    base_url = _text(spec, at, "base_url", "base_url: https://api.example.com")
    problem = check_base_url(base_url)
    if problem:
        raise Mistake((*at, "base_url"), problem)
    return base_url


def _text(spec: Mapping[str, Any], at: tuple[str, ...], key: str, example: str = "") -> str:
    value = spec.get(key)
    if value is None:
        if example:
            raise Mistake(at, f"has no {key}; add one, e.g. {example}")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise Mistake((*at, key), f"must be a non-empty string, not {_shown(value)}")
    return value.strip()


def _auth(value: object, at: tuple[str, ...]) -> Any:
    if value is None:
        return BearerAuth()
    if not isinstance(value, dict):
        raise Mistake(
            at, f"must be a mapping like {{header: Authorization, scheme: Bearer}}, not a {_kind(value)}"
        )
    keys = ("header", "scheme", "env")
    for key in value:
        if key not in keys:
            raise Mistake((*at, str(key)), f"is not an auth key{_closest(key, keys)}; use {', '.join(keys)}")
    header, scheme, env = value.get("header"), value.get("scheme"), value.get("env")
    if not is_token(header):  # a header name is an HTTP token, like an auth scheme
        where = (*at, "header") if "header" in value else at
        raise Mistake(where, f"needs a header name like Authorization or X-API-Key, not {_shown(header)}")
    if header.lower() in HTTP_OWN_HEADERS:
        raise Mistake(
            (*at, "header"),
            f"cannot be {header!r}, a header HTTP itself controls (the host, the message's framing "
            "or the connection); name the header the API reads the key from, like Authorization "
            "or X-API-Key",
        )
    if scheme is not None and not is_token(scheme):
        raise Mistake((*at, "scheme"), f"must be one word like Bearer or Token, not {_shown(scheme)}")
    if env is not None and not (isinstance(env, str) and _ENV_VAR.fullmatch(env)):
        raise Mistake(
            (*at, "env"), f"must name an environment variable like REPLICATE_API_TOKEN, not {_shown(env)}"
        )
    return HeaderSchemeAuth(header, scheme or None, env)


def _list(value: object, at: tuple[str, ...]) -> ListEndpoint | None:
    if value is None:
        return None
    example = "{path: /v1/jobs, items: results, next: next}"
    if not isinstance(value, dict):
        raise Mistake(at, f"must be a mapping like {example}, not a {_kind(value)}")
    keys = ("path", "items", "next", "id")
    for key in value:
        if key not in keys:
            raise Mistake((*at, str(key)), f"is not a list key{_closest(key, keys)}; use {', '.join(keys)}")
    path = value.get("path")
    if not good_list_path(path):
        where = (*at, "path") if "path" in value else at
        raise Mistake(where, f"needs the list's path, like /v1/jobs: it {LIST_PATH_RULE}")
    items = "" if value.get("items") is None else _dotted(value["items"], (*at, "items"))
    after = None if value.get("next") is None else _dotted(value["next"], (*at, "next"))
    job_id = "id" if value.get("id") is None else _dotted(value["id"], (*at, "id"))
    assert isinstance(path, str)
    return ListEndpoint(path, items=items, id_field=job_id, next=(after,) if after else ())


def _cancel(value: object, at: tuple[str, ...]) -> CancelEndpoint | None:
    if value is None:
        return None
    example = '{method: POST, path: "/v1/jobs/{id}/cancel"}'
    if not isinstance(value, dict):
        raise Mistake(at, f"must be a mapping like {example}, not a {_kind(value)}")
    for key in value:
        if key not in ("method", "path"):
            raise Mistake(
                (*at, str(key)), f"is not a cancel key{_closest(key, ('method', 'path'))}; use method, path"
            )
    method = value.get("method")
    if not isinstance(method, str) or method.upper() not in CANCEL_METHODS:
        where = (*at, "method") if "method" in value else at
        raise Mistake(where, f"needs a method, one of {', '.join(CANCEL_METHODS)}, not {_shown(method)}")
    path = value.get("path")
    if "path" not in value:
        raise Mistake(at, 'has no path; add one, e.g. path: "/v1/jobs/{id}/cancel"')
    if not isinstance(path, str):
        raise Mistake((*at, "path"), f"must be a path like /v1/jobs/{{id}}/cancel, not {_shown(path)}")
    problem = path_problem(path)
    if problem:
        raise Mistake((*at, "path"), problem)
    return CancelEndpoint(method, path)


def _expire_after(value: object, at: tuple[str, ...]) -> timedelta | None:
    if value is None:
        return None
    from jobctl._units import parse_duration

    try:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"must be a duration like 1h or 7d, not a {_kind(value)}")
        return timedelta(seconds=parse_duration(str(value)))
    except (ValueError, OverflowError) as exc:
        raise Mistake(at, str(exc).replace(f"'{value}' must be", "must be")) from None


def _id_rule(value: object, at: tuple[str, ...]) -> IdRule:
    if value is None:
        return SINGLE_SEGMENT
    if not isinstance(value, str) or value not in ID_RULES:
        hint = _closest(value, list(ID_RULES)) if isinstance(value, str) else ""
        raise Mistake(at, f"must be one of {', '.join(ID_RULES)}, not {_shown(value)}{hint}")
    return ID_RULES[value]


def _statuses(value: object, at: tuple[str, ...]) -> tuple[str, dict[str, Status]]:
    if not isinstance(value, dict):
        if value is None:
            raise Mistake(at[:-1], "has no status; add status: {field: status, map: {word: queued, ...}}")
        raise Mistake(at, f"must be a mapping with field and map, not a {_kind(value)}")
    for key in value:
        if key not in ("field", "map"):
            raise Mistake(
                (*at, str(key)), f"is not a status key{_closest(key, ('field', 'map'))}; use field, map"
            )
    field = _dotted(value.get("field", "status"), (*at, "field"))
    words = value.get("map")
    if not isinstance(words, dict) or not words:
        where = (*at, "map") if "map" in value else at
        raise Mistake(where, "needs a map of the provider's words, like {done: succeeded, error: failed}")
    statuses: dict[str, Status] = {}
    for word, meaning in words.items():
        if not isinstance(word, str):
            raise Mistake(
                (*at, "map"), f"has a word YAML reads as the {_kind(word)} {word!r}; quote the word"
            )
        if not isinstance(meaning, str) or meaning not in STATUSES:
            hint = _closest(meaning, list(STATUSES)) if isinstance(meaning, str) else ""
            raise Mistake(
                (*at, "map", word), f"must be one of {', '.join(STATUSES)}, not {_shown(meaning)}{hint}"
            )
        statuses[word] = STATUSES[meaning]
    return field, statuses


def _fields(value: object, at: tuple[str, ...]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Mistake(
            at, f"must be a mapping like {{created_at: created_at, outputs: output}}, not a {_kind(value)}"
        )
    fields: dict[str, str] = {}
    for key, path in value.items():
        if key not in FIELDS:
            raise Mistake((*at, str(key)), f"is not a field{_closest(key, FIELDS)}; use {', '.join(FIELDS)}")
        fields[key] = _dotted(path, (*at, key))
    return fields


def _dotted(value: object, at: tuple[str, ...]) -> str:
    if not isinstance(value, str) or not _DOTTED.fullmatch(value):
        raise Mistake(at, f"must be a dotted path into the answer like result.urls, not {_shown(value)}")
    return value


def _closest(word: object, choices: tuple[str, ...] | list[str]) -> str:
    return closest(str(word), list(choices))


def _kind(value: object) -> str:
    return type_name(value)


def _shown(value: object) -> str:
    return "nothing" if value is None else repr(value) if isinstance(value, str) else f"a {_kind(value)}"


class _Lines:
    """``path:line`` for a key path in the YAML file, composed only when a mistake needs it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._root: Any = None

    def at(self, keys: tuple[str, ...]) -> str:
        line = self._line(keys)
        return f"{self.path}:{line}" if line else str(self.path)

    def _line(self, keys: tuple[str, ...]) -> int | None:
        import yaml

        if self._root is None:
            try:
                self._root = yaml.compose(self.path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                return None
        node, line = self._root, None
        for key in keys:
            if not isinstance(node, yaml.MappingNode):
                break
            hit = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
            )
            if hit is None:
                break
            line = hit[0].start_mark.line + 1
            node = hit[1]
        return line
