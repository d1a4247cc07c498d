"""Talking to a provider: sessions, retries, redirect safety, body limits, error mapping.

Imported only on paths that send requests, so ``--help`` never pays for requests.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry

from jobctl._redaction import MASK
from jobctl._version import __version__
from jobctl.config import ProviderSettings
from jobctl.errors import AuthError, JobctlError, NotFoundError, ProviderError, RateLimited, RequestRejected
from jobctl.model import json_kind

USER_AGENT = f"jobctl/{__version__}"
MAX_BODY = 10 * 1024 * 1024  # bytes; a job status is a few KiB, anything huge is not one
POOL_SIZE = 8  # connections per provider host
RETRY_STATUSES = frozenset({429, *range(500, 600)})  # as the contract says: 429 and every 5xx
MAX_RETRIES = 3
RETRY_BUDGET = 30.0  # seconds after the first retry past which no further retry starts
MAX_REDIRECTS = 5
UNIX_TIME_FLOOR = 1e9  # an X-RateLimit-Reset this large is a Unix time (2001 on), not seconds


DEFAULT_BACKOFF = 0.5  # seconds: the first retry waits about this long, then x2

DebugLog = Callable[[str], None]


def wait_hint(headers: Mapping[str, str]) -> float | None:
    """Seconds the provider asked us to wait: ``Retry-After`` (seconds or an HTTP date),
    else ``X-RateLimit-Reset`` (seconds, or a Unix time) when ``X-RateLimit-Remaining`` is 0.
    None when it asked nothing (or said it in a form that means nothing)."""
    after = headers.get("Retry-After")
    if after is not None:
        text = after.strip()
        if re.fullmatch(r"[0-9]+", text):
            return float(text)
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - time.time())
    if (headers.get("X-RateLimit-Remaining") or "").strip() != "0":
        return None
    try:
        reset = float(headers.get("X-RateLimit-Reset") or "")
    except ValueError:
        return None
    if not math.isfinite(reset) or reset < 0:
        return None
    return max(0.0, reset - time.time()) if reset >= UNIX_TIME_FLOOR else reset


class Pause:
    """Until when one provider must not be asked, shared by every request of a client."""

    def __init__(self) -> None:
        self.until = 0.0
        self.reason = ""
        self._lock = threading.Lock()

    def hold(self, seconds: float, reason: str) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            if until > self.until:
                self.until, self.reason = until, reason

    def left(self) -> float:
        return max(0.0, self.until - time.monotonic())


def try_again(seconds: float | None) -> str:
    return f"; try again in {math.ceil(seconds)} s" if seconds else ""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class BoundedRetry(Retry):
    """urllib3 Retry that also stops when the next wait would pass a time budget,
    honours ``Retry-After`` (and ``X-RateLimit-Reset``) on every retried status, and
    reports each retry. Impatient (watch), it never waits out a rate limit: the
    provider's ``Pause`` tells the schedule instead."""

    RETRY_AFTER_STATUS_CODES = RETRY_STATUSES

    def __init__(
        self,
        *args: Any,
        budget: float = RETRY_BUDGET,
        started: float | None = None,
        log: DebugLog | None = None,
        patient: bool = True,
        pause: Pause | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget
        self.started = started
        self.log = log
        self.patient = patient
        self.pause = pause

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        # "soon", "1.5" or "-1" mean nothing: None, and the usual backoff applies.
        return wait_hint(response.headers)

    def new(self, **kw: Any) -> BoundedRetry:
        kw.setdefault("budget", self.budget)
        kw.setdefault("started", self.started)
        kw.setdefault("log", self.log)
        kw.setdefault("patient", self.patient)
        kw.setdefault("pause", self.pause)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> BoundedRetry:
        started = self.started if self.started is not None else time.monotonic()
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        new.started = started
        wait = new.get_backoff_time()
        asked = wait_hint(response.headers) if response is not None else None
        if asked is not None:
            wait = asked
        if asked and response is not None and self.pause is not None:
            self.pause.hold(asked, f"HTTP {response.status}")
        elapsed = time.monotonic() - started
        if elapsed + wait > self.budget or (asked and not self.patient):
            reason = error or ResponseError(f"retry budget of {self.budget:g}s spent")
            raise MaxRetryError(_pool, url or "", reason)  # type: ignore[arg-type]
        if self.log:
            why = f"HTTP {response.status}" if response is not None else type(error).__name__
            self.log(f"retry {len(new.history)}/{MAX_RETRIES} in {wait:.2f}s after {why}: {url}")
        return new


class OriginAuth(requests.auth.AuthBase):
    """Adds the credential headers to a request only when it goes to the provider's
    origin, so they are attached per request and never sit on the shared session."""

    def __init__(self, origin: tuple[str, str, int | None], headers: dict[str, str]) -> None:
        self.origin, self.headers = origin, headers

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if _origin(request.url or "") == self.origin:
            request.headers.update(self.headers)
        return request


def retry_policy(backoff: float, **changes: Any) -> BoundedRetry:
    """GETs retried on connection errors, 429 and 5xx: at most MAX_RETRIES times, backing
    off from ``backoff`` seconds with jitter, honouring Retry-After, within RETRY_BUDGET."""
    settings: dict[str, Any] = {
        "total": MAX_RETRIES,
        "connect": MAX_RETRIES,
        "read": MAX_RETRIES,
        "status": MAX_RETRIES,
        "other": 0,
        "allowed_methods": frozenset({"GET"}),
        "status_forcelist": RETRY_STATUSES,
        "backoff_factor": backoff,
        "backoff_jitter": backoff / 2,
        "backoff_max": 8.0,
        "respect_retry_after_header": True,
        "raise_on_status": False,
        "raise_on_redirect": False,
    }
    return BoundedRetry(**{**settings, **changes})


class ProviderSession(requests.Session):
    """A keep-alive session whose credential headers never leave the base URL's origin."""

    def __init__(
        self, settings: ProviderSettings, log: DebugLog | None, backoff: float, patient: bool, pause: Pause
    ) -> None:
        super().__init__()
        self.origin = _origin(settings.base_url)
        self.credentials = OriginAuth(self.origin, settings.provider.auth.headers(settings.creds))
        self.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.max_redirects = MAX_REDIRECTS
        # An auth object of our own also stops requests from adding ~/.netrc credentials.
        self.auth = self.credentials
        retry = retry_policy(backoff, log=log, patient=patient, pause=pause)
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=POOL_SIZE, pool_block=True, max_retries=retry)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        # A redirect copies the previous request's headers: drop every credential header
        # whenever scheme, host or port differ from the base URL (requests alone drops
        # only Authorization, and only on a change of host).
        if _origin(prepared_request.url or "") != self.origin:
            for name in self.credentials.headers:
                prepared_request.headers.pop(name, None)


class ProviderClient:
    """Fetches job payloads from one provider over one keep-alive session.

    ``patient`` (``get``): a rate limit that fits the retry budget is waited out.
    Impatient (``watch``): it is raised at once as ``RateLimited``, and while the
    provider's pause lasts nothing is sent to it.
    """

    def __init__(
        self,
        settings: ProviderSettings,
        log: DebugLog | None = None,
        backoff: float = DEFAULT_BACKOFF,
        redact: Callable[[str], str] = str,
        patient: bool = True,
    ) -> None:
        self.settings = settings
        self.log = log
        self.redact = redact
        self.patient = patient
        self.pause = Pause()
        self.session = ProviderSession(settings, log, backoff, patient, self.pause)

    def close(self) -> None:
        self.session.close()

    def url_for(self, job_id: str) -> str:
        return self.settings.base_url + self.settings.provider.job_path(job_id)

    def _log_request(self, url: str) -> None:
        if self.log:
            # Credential headers by name only: a value is never shown, however short.
            headers = self.session.headers.items()
            shown = [f"{k}: {v if isinstance(v, str) else v.decode('latin-1')}" for k, v in headers]
            # "Authorization: Bearer <api_key>" -> "Authorization: Bearer ***", however short the key.
            auth = self.settings.provider.auth.describe(self.settings.creds)
            shown += [re.sub(r"<\w+>", MASK, part) for part in auth.split(" + ")]
            self.log(f"GET {url} [{', '.join(shown)}] timeout={self.settings.timeout:g}s")

    def get_payload(self, job_id: str) -> Any:
        """GET the job and return its decoded JSON, or raise a JobctlError."""
        ref = f"{self.settings.provider.name}:{job_id}"
        url = self.url_for(job_id)
        timeout = (min(10.0, self.settings.timeout), self.settings.timeout)
        self._wait_for_pause(ref)
        self._log_request(url)
        start = time.monotonic()
        try:
            with self.session.get(url, timeout=timeout, stream=True) as resp:
                body = _read_capped(resp, ref)
                if self.log:
                    hops = f" via {len(resp.history)} redirect(s)" if resp.history else ""
                    self.log(
                        f"{resp.status_code} {resp.reason} {len(body)} bytes "
                        f"in {1000 * (time.monotonic() - start):.0f}ms{hops}: {url}"
                    )
                asked = wait_hint(resp.headers)
                if asked:
                    code = resp.status_code
                    self.pause.hold(asked, f"HTTP {code}" if code >= 400 else "X-RateLimit-Remaining: 0")
                return _decode(resp, body, ref, self.settings, asked)
        except JobctlError:
            raise
        except requests.TooManyRedirects:
            raise ProviderError(f"{ref}: too many redirects (more than {MAX_REDIRECTS})") from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            # A read timeout that outlived its retries arrives as a ConnectionError.
            if isinstance(exc, requests.Timeout) or isinstance(_innermost(exc), ReadTimeoutError):
                raise ProviderError(
                    f"{ref}: no answer from {self.settings.base_url} within {self.settings.timeout:g}s "
                    "(raise 'timeout' in the profile if the provider is slow)"
                ) from None
            reason = _reason(exc, self.redact)
            raise ProviderError(f"{ref}: cannot reach {self.settings.base_url}: {reason}") from None
        except requests.exceptions.ChunkedEncodingError:
            raise ProviderError(
                f"{ref}: the answer from {self.settings.base_url} broke off before its end; try again"
            ) from None
        except requests.RequestException as exc:
            raise ProviderError(f"{ref}: request failed: {_reason(exc, self.redact)}") from None

    def _wait_for_pause(self, ref: str) -> None:
        """While the provider asked for quiet: wait (patient, within the retry budget) or say so."""
        left = self.pause.left()
        if not left:
            return
        if self.patient and left <= RETRY_BUDGET:
            if self.log:
                self.log(f"waiting {left:.2f}s: {self.settings.provider.name} asked for a pause")
            time.sleep(left)
            return
        raise RateLimited(f"{ref}: rate limited ({self.pause.reason}){try_again(left)}", retry_after=left)


def _innermost(exc: BaseException) -> BaseException:
    """The root cause at the bottom of a requests/urllib3 exception chain."""
    seen = exc
    while True:
        inner = getattr(seen, "reason", None)
        if isinstance(inner, BaseException):
            seen = inner
            continue
        args = getattr(seen, "args", ())
        if args and isinstance(args[0], BaseException):
            seen = args[0]
            continue
        return seen


def _reason(exc: BaseException, redact: Callable[[str], str] = str) -> str:
    """A short human cause from a requests/urllib3 exception chain."""
    seen = _innermost(exc)
    if isinstance(seen, ssl.SSLError):
        return _tls_reason(exc, seen)
    text = str(seen) or type(seen).__name__
    if "Connection refused" in text:
        return "connection refused"
    if "Connection reset" in text or "RemoteDisconnected" in text or "aborted" in text.lower():
        return "connection closed by the server"
    if "Name or service not known" in text or "getaddrinfo" in text or "resolve" in text:
        return "host name not found"
    return redact(text.split(": ", 1)[-1])[:200]


# OpenSSL's words for "the other side does not speak TLS": a plain HTTP server
# answering a ClientHello with "HTTP/1.0 400" reads as a bad record to the client.
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL", "HTTP_REQUEST"})


def _tls_reason(exc: BaseException, seen: ssl.SSLError) -> str:
    request = getattr(exc, "request", None)
    _, host, port = _origin(getattr(request, "url", None) or "")
    where = f"{host}:{port}" if host else "the server"
    if isinstance(seen, ssl.SSLCertVerificationError):
        why = seen.verify_message or "certificate verify failed"
        return f"TLS handshake with {where} failed: its certificate is not trusted ({why})"
    if seen.reason in _NOT_TLS:
        return f"TLS handshake with {where} failed: the answer is not TLS; is it an http:// server?"
    said = str(seen.reason or type(seen).__name__).lower().replace("_", " ")
    return f"TLS handshake with {where} failed: {said}"


def _read_capped(resp: requests.Response, ref: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_BODY:
            raise ProviderError(
                f"{ref}: response larger than {MAX_BODY // (1024 * 1024)} MiB; not a job status"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _snippet(body: bytes) -> str:
    text = body[:400].decode("utf-8", "replace")
    return " ".join(text.split())[:120]


def _message_in(body: bytes) -> str | None:
    """A provider's own error words from a JSON error body, if any, as one line."""
    found = _found_message(body)
    return " ".join(found.split())[:300] if found else None


def _found_message(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    for key in ("detail", "error", "message", "errors"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict):
            msg = value.get("message") or value.get("detail")
            if isinstance(msg, str):
                return msg
        if isinstance(value, list):  # FastAPI/Unstructured validation errors
            parts = []
            for item in value[:3]:
                if isinstance(item, dict):
                    loc = item.get("loc")
                    where = ".".join(str(x) for x in loc) if isinstance(loc, list) else ""
                    parts.append(f"{where}: {item.get('msg', '')}".strip(": "))
                elif isinstance(item, str):
                    parts.append(item)
            if parts:
                return "; ".join(parts)
    return None


def _origin_text(url: str) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}"


def _decode(
    resp: requests.Response, body: bytes, ref: str, settings: ProviderSettings, asked: float | None = None
) -> Any:
    code = resp.status_code
    said = _message_in(body)
    said_text = f": {said}" if said else ""
    moved = _origin(resp.url) != _origin(settings.base_url)
    if code in (401, 403) and moved:
        raise AuthError(
            f"{ref}: {settings.base_url} redirected to {_origin_text(resp.url)}, which refused the "
            f"request (HTTP {code}); jobctl does not send credentials to another origin"
        )
    if code in (401, 403):
        fields = " / ".join(settings.provider.env_var(c) for c in settings.provider.credentials)
        raise AuthError(
            f"{ref}: authentication refused (HTTP {code}){said_text}; "
            f"check the {settings.provider.name} key in your profile or {fields}"
        )
    if code == 404:
        raise NotFoundError(f"{ref}: job not found (HTTP 404){said_text}")
    if not 200 <= code < 300:
        error = ProviderError if code >= 500 or code in (408, 429) else RequestRejected
        retries = getattr(resp.raw, "retries", None)
        retried = len(retries.history) if retries is not None else 0
        after = f" after {retried} retries" if retried else ""
        if code == 429:  # the status says it all; only the provider's own words are worth adding
            raise RateLimited(f"{ref}: rate limited (HTTP 429){after}{said_text}{try_again(asked)}", asked)
        if not said and body:
            said_text = f": {_snippet(body)!r}" if not body.lstrip().startswith(b"<") else " (an HTML page)"
        if asked:  # a 503 with Retry-After: the provider says when, so watch pauses it too
            head = f"{ref}: HTTP {code} {resp.reason or ''}".rstrip()
            raise RateLimited(f"{head}{after}{said_text}{try_again(asked)}", asked)
        raise error(f"{ref}: HTTP {code} {resp.reason or ''}".rstrip() + f"{after}{said_text}")
    try:
        data = json.loads(body)
    except RecursionError:
        raise ProviderError(f"{ref}: HTTP {code} but the JSON is nested too deep for a job status") from None
    except ValueError:
        kind = resp.headers.get("Content-Type", "no content type").split(";")[0]
        what = "an empty body" if not body.strip() else f"a body that is not JSON ({kind})"
        raise ProviderError(f"{ref}: HTTP {code} but {what}; is base_url right?") from None
    if not isinstance(data, dict):
        raise ProviderError(
            f"{ref}: HTTP {code} but the JSON is {json_kind(data)}, not the documented job object"
        )
    return data
