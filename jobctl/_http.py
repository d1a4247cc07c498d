"""One HTTP toolkit for everything jobctl sends: provider API calls and output files.

- Origins: a provider's credentials are attached per request, only to a URL with the
  provider's own origin (scheme, host, port); they never sit on a shared session.
- Redirects are followed by hand, at most ``MAX_REDIRECTS`` hops. Each hop must be a
  URL jobctl fetches (https, or http to a loopback host), and gets credentials only
  when it is on the origin.
- Retries: connection errors, 429 and 5xx, backing off with jitter and honouring
  ``Retry-After`` and rate-limit headers, bounded in count and in total time. Every
  wait goes through the ``Clock`` the caller passes, so tests never sleep.
- One ``User-Agent``, no ``~/.netrc``, and one wording of what went wrong
  (``failure_reason``).

Imported only on paths that send requests, so ``--help`` never pays for requests.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry

from jobctl._clock import SYSTEM_CLOCK, Clock
from jobctl._redaction import MASK
from jobctl._rules import url_problem
from jobctl._text import one_line
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
UNIX_TIME_FLOOR = 1e9  # a rate-limit reset this large is a Unix time (2001 on), not seconds
DEFAULT_BACKOFF = 0.5  # seconds: the first retry waits about this long, then x2

DebugLog = Callable[[str], None]
Origin = tuple[str, str, "int | None"]
Expect = Literal["object", "json", "anything"]


# --- URLs -------------------------------------------------------------------------------


def origin_of(url: str) -> Origin:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def origin_text(url: str) -> str:
    scheme, host, port = origin_of(url)
    return f"{scheme}://{host}:{port}"


def shown_url(url: str) -> str:
    """A URL for messages: no user:password, no query (signed links carry tokens there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is no number: show what was written
        port = ":" + parts.netloc.rpartition(":")[2]
    return one_line(f"{parts.scheme}://{host}{port}{parts.path}", 200)


def refusal(url: str) -> str | None:
    """Why jobctl will not send to ``url``, or None."""
    problem = url_problem(url)
    if problem is None:
        return None
    return {
        "invalid": "is not a valid URL",
        "scheme": "is not an http(s) URL",
        "http": "uses http:// for a host that is not loopback; only https:// is fetched",
    }[problem]


# --- rate limits and retries ------------------------------------------------------------


# The rate-limit header families read: the common X- one, and the IETF draft's (sent by
# Replicate), whose reset is in seconds; a reset that large is read as a Unix time in both.
RATE_LIMIT_PREFIXES = ("X-RateLimit-", "RateLimit-")


def wait_hint(headers: Mapping[str, str], clock: Clock = SYSTEM_CLOCK) -> float | None:
    """Seconds the provider asked us to wait: ``Retry-After`` (seconds or an HTTP date),
    else ``X-RateLimit-Reset`` or ``RateLimit-Reset`` (seconds, or a Unix time) when the
    same family's ``Remaining`` is 0. None when it asked nothing (or said it in a form
    that means nothing)."""
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
            return max(0.0, when.timestamp() - clock.time())
    prefix = spent_limit(headers)
    if prefix is None:
        return None
    try:
        reset = float(headers.get(prefix + "Reset") or "")
    except ValueError:
        return None
    if not math.isfinite(reset) or reset < 0:
        return None
    return max(0.0, reset - clock.time()) if reset >= UNIX_TIME_FLOOR else reset


def spent_limit(headers: Mapping[str, str]) -> str | None:
    """The rate-limit header family (``X-RateLimit-``, ``RateLimit-``) saying none are left."""
    return next((p for p in RATE_LIMIT_PREFIXES if (headers.get(p + "Remaining") or "").strip() == "0"), None)


class Pause:
    """Until when one provider must not be asked, shared by every request of a client."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.until = 0.0
        self.reason = ""
        self._lock = threading.Lock()

    def hold(self, seconds: float, reason: str) -> None:
        with self._lock:
            until = self.clock.monotonic() + seconds
            if until > self.until:
                self.until, self.reason = until, reason

    def left(self) -> float:
        return max(0.0, self.until - self.clock.monotonic())


def try_again(seconds: float | None) -> str:
    return f"; try again in {math.ceil(seconds)} s" if seconds else ""


class BoundedRetry(Retry):
    """urllib3 Retry that also stops when the next wait would pass a time budget,
    honours ``Retry-After`` (and ``X-RateLimit-Reset``) on every retried status, waits
    through a ``Clock``, and reports each retry. Impatient (watch), it never waits out a
    rate limit: the provider's ``Pause`` tells the schedule instead."""

    RETRY_AFTER_STATUS_CODES = RETRY_STATUSES

    def __init__(
        self,
        *args: Any,
        budget: float = RETRY_BUDGET,
        started: float | None = None,
        log: DebugLog | None = None,
        patient: bool = True,
        pause: Pause | None = None,
        clock: Clock = SYSTEM_CLOCK,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget
        self.started = started
        self.log = log
        self.patient = patient
        self.pause = pause
        self.clock = clock

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        # "soon", "1.5" or "-1" mean nothing: None, and the usual backoff applies.
        return wait_hint(response.headers, self.clock)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        asked = self.get_retry_after(response) if response is not None else None
        self.clock.sleep(asked if asked else self.get_backoff_time())

    def new(self, **kw: Any) -> BoundedRetry:
        for name in ("budget", "started", "log", "patient", "pause", "clock"):
            kw.setdefault(name, getattr(self, name))
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
        started = self.started if self.started is not None else self.clock.monotonic()
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        new.started = started
        wait = new.get_backoff_time()
        asked = wait_hint(response.headers, self.clock) if response is not None else None
        if asked is not None:
            wait = asked
        if asked and response is not None and self.pause is not None:
            self.pause.hold(asked, f"HTTP {response.status}")
        elapsed = self.clock.monotonic() - started
        if elapsed + wait > self.budget or (asked and not self.patient):
            reason = error or ResponseError(f"retry budget of {self.budget:g}s spent")
            raise MaxRetryError(_pool, url or "", reason)  # type: ignore[arg-type]
        if self.log:
            why = f"HTTP {response.status}" if response is not None else type(error).__name__
            self.log(f"retry {len(new.history)}/{MAX_RETRIES} in {wait:.2f}s after {why}: {url}")
        return new


def retry_policy(backoff: float, clock: Clock = SYSTEM_CLOCK, **changes: Any) -> BoundedRetry:
    """Requests retried on connection errors, 429 and 5xx: at most MAX_RETRIES times,
    backing off from ``backoff`` seconds with jitter, honouring Retry-After, within
    RETRY_BUDGET. Redirects are jobctl's to follow (``send``), never urllib3's."""
    settings: dict[str, Any] = {
        "total": MAX_RETRIES,
        "connect": MAX_RETRIES,
        "read": MAX_RETRIES,
        "status": MAX_RETRIES,
        "redirect": 0,
        "other": 0,
        "allowed_methods": frozenset({"GET"}),
        "status_forcelist": RETRY_STATUSES,
        "backoff_factor": backoff,
        "backoff_jitter": backoff / 2,
        "backoff_max": 8.0,
        "respect_retry_after_header": True,
        "raise_on_status": False,
        "raise_on_redirect": False,
        "clock": clock,
    }
    return BoundedRetry(**{**settings, **changes})


# --- sessions and sending ---------------------------------------------------------------


def new_session(retry: Retry, *, accept: str, pool_size: int, hosts: int = 2) -> requests.Session:
    """A keep-alive session: jobctl's User-Agent, no default credentials, no ~/.netrc."""
    session = requests.Session()
    session.headers.update({"User-Agent": USER_AGENT, "Accept": accept})
    session.auth = lambda r: r  # an auth object of our own keeps requests from reading ~/.netrc
    session.max_redirects = MAX_REDIRECTS
    adapter = HTTPAdapter(pool_connections=hosts, pool_maxsize=pool_size, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@dataclass(frozen=True)
class Credentials:
    """A provider's credential headers, and the one origin they may be sent to."""

    origin: Origin
    headers: Mapping[str, str]

    def for_url(self, url: str) -> dict[str, str]:
        return dict(self.headers) if origin_of(url) == self.origin else {}


class Refused(Exception):
    """A redirect jobctl does not follow; ``message`` says where to and why, in words."""

    def __init__(self, url: str, why: str, message: str | None = None) -> None:
        super().__init__(why)
        self.url, self.why = url, why
        self.message = message or f"redirected to {shown_url(url)}, which {why}; not followed"


class TooManyRedirects(Exception):
    pass


@dataclass
class Answer:
    response: requests.Response
    url: str  # where it finally came from, after redirects
    hops: int  # redirects followed


def send(
    session: requests.Session,
    url: str,
    *,
    credentials: Credentials | None,
    timeout: tuple[float, float],
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    on_hop: Callable[[str, dict[str, str]], None] | None = None,
    on_answer: Callable[[requests.Response, str], None] | None = None,
) -> Answer:
    """Send to ``url``, following redirects by hand: credentials only on the origin,
    every hop checked with ``refusal``. ``on_hop(url, headers)`` hears each request,
    ``on_answer(response, url)`` each answer (for a debug log). Raises ``Refused``,
    ``TooManyRedirects`` or what requests raises (see ``failure_reason``). The caller
    closes the response."""
    for hop in range(MAX_REDIRECTS + 1):
        if hop:
            why = refusal(url)
            if why:
                raise Refused(url, why)
        sent = {**(headers or {}), **(credentials.for_url(url) if credentials else {})}
        if on_hop is not None:
            on_hop(url, sent)
        try:
            response = session.request(
                method, url, headers=sent, stream=True, allow_redirects=False, timeout=timeout
            )
        except requests.RequestException:  # some are ValueErrors too: the caller words them
            raise
        except ValueError:  # requests reads a redirect's Location even when it will not follow it
            why = "is not a valid URL"
            raise Refused(
                url, why, f"{shown_url(url)} redirected to a Location that {why}; not followed"
            ) from None
        if on_answer is not None:
            on_answer(response, url)
        location = response.headers.get("Location")
        if response.is_redirect and location:
            url = urljoin(url, location)
            if response.status_code == 303:  # "see other": fetched with GET, whatever asked
                method = "GET"
            response.close()
            continue
        return Answer(response, url, hop)
    raise TooManyRedirects(url)


# --- what went wrong, in words ----------------------------------------------------------


def innermost(exc: BaseException) -> BaseException:
    """The root cause at the bottom of a requests/urllib3 exception chain."""
    seen = exc
    for _ in range(20):
        inner = getattr(seen, "reason", None)
        if not isinstance(inner, BaseException):
            args = getattr(seen, "args", ())
            inner = args[0] if args and isinstance(args[0], BaseException) else None
        if inner is None:
            break
        seen = inner
    return seen


def failure_reason(exc: BaseException, redact: Callable[[str], str] = str) -> str:
    """A short human cause from a requests/urllib3 exception chain."""
    seen = innermost(exc)
    if isinstance(seen, ssl.SSLError):
        return _tls_reason(exc, seen)
    text = f"{type(seen).__name__} {seen}"
    lowered = text.lower()
    if "IncompleteRead" in text:
        return "the server closed the connection early"
    if "refused" in lowered:
        return "connection refused"
    if "reset" in lowered:
        return "connection reset by the server"
    if "RemoteDisconnected" in text or "aborted" in lowered:
        return "connection closed by the server"
    if "timed out" in lowered or "Timeout" in text:
        return "no data within the read timeout"
    if "Name or service not known" in text or "getaddrinfo" in text or "resolve" in lowered:
        return "host name not found"
    return redact((str(seen) or type(seen).__name__).split(": ", 1)[-1])[:200]


# OpenSSL's words for "the other side does not speak TLS": a plain HTTP server
# answering a ClientHello with "HTTP/1.0 400" reads as a bad record to the client.
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL", "HTTP_REQUEST"})


def _tls_reason(exc: BaseException, seen: ssl.SSLError) -> str:
    request = getattr(exc, "request", None)
    _, host, port = origin_of(getattr(request, "url", None) or "")
    where = f"{host}:{port}" if host else "the server"
    if isinstance(seen, ssl.SSLCertVerificationError):
        why = seen.verify_message or "certificate verify failed"
        return f"TLS handshake with {where} failed: its certificate is not trusted ({why})"
    if seen.reason in _NOT_TLS:
        return f"TLS handshake with {where} failed: the answer is not TLS; is it an http:// server?"
    said = str(seen.reason or type(seen).__name__).lower().replace("_", " ")
    return f"TLS handshake with {where} failed: {said}"


def status_line(response: requests.Response) -> str:
    """``HTTP 503 Service Unavailable``, the reason cleaned and cut."""
    reason = one_line(response.reason or "", 80)
    return f"HTTP {response.status_code} {reason}".rstrip()


# --- provider API calls -----------------------------------------------------------------


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
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self.log = log
        self.redact = redact
        self.patient = patient
        self.clock = clock
        self.pause = Pause(clock)
        self.credentials = Credentials(
            origin_of(settings.base_url), settings.provider.auth.headers(settings.creds)
        )
        # The only POST or DELETE jobctl sends is a cancel, and a cancel is idempotent:
        # asking again to stop a job whose first answer was lost stops it once, so these
        # are retried like GETs.
        retry = retry_policy(
            backoff,
            clock,
            log=log,
            patient=patient,
            pause=self.pause,
            allowed_methods=frozenset({"GET", "DELETE", "POST"}),
        )
        self.session = new_session(retry, accept="application/json", pool_size=POOL_SIZE)

    def close(self) -> None:
        self.session.close()

    def _log_request(self, method: str, url: str) -> None:
        if self.log:
            # Credential headers by name only: a value is never shown, however short.
            headers = self.session.headers.items()
            shown = [f"{k}: {v if isinstance(v, str) else v.decode('latin-1')}" for k, v in headers]
            # "Authorization: Bearer <api_key>" -> "Authorization: Bearer ***", however short the key.
            auth = self.settings.provider.auth.describe(self.settings.creds)
            shown += [re.sub(r"<\w+>", MASK, part) for part in auth.split(" + ")]
            self.log(f"{method} {url} [{', '.join(shown)}] timeout={self.settings.timeout:g}s")

    def get_payload(self, job_id: str) -> Any:
        """GET the job and return its decoded JSON, or raise a JobctlError."""
        ref = f"{self.settings.provider.name}:{job_id}"
        return self.request("GET", self.settings.provider.job_path(job_id), ref=ref)

    def request(
        self,
        method: str,
        target: str,
        *,
        ref: str,
        params: Mapping[str, str] | None = None,
        expect: Expect = "object",
        action: str | None = None,
    ) -> Any:
        """Send ``method`` to ``target`` (a path under the base URL, or a URL on its origin)
        and return the decoded answer, or raise a JobctlError naming ``ref``.

        ``expect``: ``object`` (the documented JSON object), ``json`` (any JSON; the
        caller checks its shape) or ``anything`` (a 2xx is enough; the body is not read
        as JSON). ``action`` (``list``, ``cancel``) names what was refused in errors.
        """
        url = target if "://" in target else self.settings.base_url + target
        if origin_of(url) != self.credentials.origin:
            raise ProviderError(
                f"{ref}: {shown_url(url)} is not on {origin_text(self.settings.base_url)}; not sent"
            )
        if params:
            url += ("&" if urlsplit(url).query else "?") + urlencode(params)
        timeout = (min(10.0, self.settings.timeout), self.settings.timeout)
        self._wait_for_pause(ref)
        self._log_request(method, url)
        start = self.clock.monotonic()
        try:
            answer = send(self.session, url, credentials=self.credentials, timeout=timeout, method=method)
            with answer.response as resp:
                body = _read_capped(resp, ref)
                if self.log:
                    hops = f" via {answer.hops} redirect(s)" if answer.hops else ""
                    self.log(
                        f"{resp.status_code} {resp.reason} {len(body)} bytes "
                        f"in {1000 * (self.clock.monotonic() - start):.0f}ms{hops}: {url}"
                    )
                asked = wait_hint(resp.headers, self.clock)
                if asked:
                    code = resp.status_code
                    spent = f"{spent_limit(resp.headers) or 'X-RateLimit-'}Remaining: 0"
                    self.pause.hold(asked, f"HTTP {code}" if code >= 400 else spent)
                return _decode(
                    resp,
                    answer.url,
                    body,
                    ref,
                    self.settings,
                    asked,
                    expect=expect,
                    action=action,
                    method=method,
                )
        except JobctlError as exc:
            # The provider's own words can hold a key (a 401 that echoes it): scrubbed here,
            # so no caller, a live table's cell cut short included, ever holds the secret.
            exc.message = self.redact(exc.message)
            exc.args = (exc.message,)
            raise
        except TooManyRedirects:
            raise ProviderError(f"{ref}: too many redirects (more than {MAX_REDIRECTS})") from None
        except Refused as exc:
            raise ProviderError(f"{ref}: {exc.message}") from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            # A read timeout that outlived its retries arrives as a ConnectionError.
            if isinstance(exc, requests.Timeout) or isinstance(innermost(exc), ReadTimeoutError):
                raise ProviderError(
                    f"{ref}: no answer from {self.settings.base_url} within {self.settings.timeout:g}s "
                    "(raise 'timeout' in the profile if the provider is slow)"
                ) from None
            reason = failure_reason(exc, self.redact)
            raise ProviderError(f"{ref}: cannot reach {self.settings.base_url}: {reason}") from None
        except requests.exceptions.ChunkedEncodingError:
            raise ProviderError(
                f"{ref}: the answer from {self.settings.base_url} broke off before its end; try again"
            ) from None
        except requests.RequestException as exc:
            raise ProviderError(f"{ref}: request failed: {failure_reason(exc, self.redact)}") from None

    def _wait_for_pause(self, ref: str) -> None:
        """While the provider asked for quiet: wait (patient, within the retry budget) or say so."""
        left = self.pause.left()
        if not left:
            return
        if self.patient and left <= RETRY_BUDGET:
            if self.log:
                self.log(f"waiting {left:.2f}s: {self.settings.provider.name} asked for a pause")
            self.clock.sleep(left)
            return
        raise RateLimited(f"{ref}: rate limited ({self.pause.reason}){try_again(left)}", retry_after=left)


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


def _decode(
    resp: requests.Response,
    url: str,
    body: bytes,
    ref: str,
    settings: ProviderSettings,
    asked: float | None = None,
    *,
    expect: Expect = "object",
    action: str | None = None,
    method: str = "GET",
) -> Any:
    code = resp.status_code
    said = _message_in(body)
    said_text = f": {said}" if said else ""
    moved = origin_of(url) != origin_of(settings.base_url)
    if code in (401, 403) and moved:
        raise AuthError(
            f"{ref}: {settings.base_url} redirected to {origin_text(url)}, which refused the "
            f"request (HTTP {code}); jobctl does not send credentials to another origin"
        )
    if code in (401, 403):
        fields = " / ".join(settings.provider.env_var(c) for c in settings.provider.credentials)
        raise AuthError(
            f"{ref}: authentication refused (HTTP {code}){said_text}; "
            f"check the {settings.provider.name} key in your profile or {fields}"
        )
    if code == 404 and action != "list":
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
        if code == 404:  # a list's path: a job's 404 was NotFoundError above
            raise error(f"{ref}: nothing at {urlsplit(url).path} (HTTP 404){said_text}; is base_url right?")
        if action and code < 500:
            hint = (
                f"; {settings.provider.title} does not take {method} {urlsplit(url).path}"
                if code == 405
                else ""
            )
            raise error(f"{ref}: {action} refused ({status_line(resp)}){said_text}{hint}")
        raise error(f"{ref}: HTTP {code} {resp.reason or ''}".rstrip() + f"{after}{said_text}")
    if expect == "anything":
        return None
    try:
        data = json.loads(body)
    except RecursionError:
        raise ProviderError(f"{ref}: HTTP {code} but the JSON is nested too deep for a job status") from None
    except ValueError:
        kind = resp.headers.get("Content-Type", "no content type").split(";")[0]
        what = "an empty body" if not body.strip() else f"a body that is not JSON ({kind})"
        raise ProviderError(f"{ref}: HTTP {code} but {what}; is base_url right?") from None
    if expect == "object" and not isinstance(data, dict):
        raise ProviderError(
            f"{ref}: HTTP {code} but the JSON is {json_kind(data)}, not the documented job object"
        )
    return data
