"""A loopback HTTP server that plays all five providers, with scripted jobs and faults.

Each provider lives under its own prefix (``http://127.0.0.1:PORT/krea`` and so on),
which is the ``base_url`` a profile points at. Tests script a job as a list of
``Step``s; each step answers a number of requests or lasts some seconds. Where a
provider documents them, its list, cancel and details endpoints answer from the same
jobs; ``add_answers`` scripts any route's answers (faults, odd shapes) ahead of them.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jobctl._clock import SYSTEM_CLOCK, Clock
from jobctl.sim import files
from jobctl.sim.payloads import SIMULATED, Answer, SimCancel, SimList, Simulated

PROVIDERS = tuple(SIMULATED)

# The keys the simulator accepts unless told otherwise; printed by `jobctl sim`.
DEFAULT_KEYS: dict[str, dict[str, str]] = {name: dict(spec.keys) for name, spec in SIMULATED.items()}


# (job id, status word, created, last change) -> the 200 body; for routes tests add.
PayloadFn = Callable[[str, str, datetime, datetime], dict[str, Any]]


@dataclass
class Step:
    """One phase of a simulated job's life.

    ``status`` is the provider's own word (None keeps the previous one). A step
    answers ``requests`` GETs or lasts ``seconds``, whichever ends first; neither
    means it lasts forever (the last step always does). Fault fields replace the
    normal answer.
    """

    status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    requests: int | None = None
    seconds: float | None = None
    http_status: int = 200
    body: str | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    redirect: str | None = None
    drop: bool = False  # close the connection without answering
    content_length: int | None = None  # announce more bytes than sent (truncated body)
    event: tuple[str, str] | None = None  # AISquare: (type, content) appended on entry


@dataclass
class SimJob:
    provider: str
    id: str
    steps: list[Step]
    created: datetime
    index: int = 0
    served: int = 0
    step_started: float | None = None
    status: str = ""
    changed: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, str, datetime]] = field(default_factory=list)


@dataclass
class Request:
    provider: str
    path: str
    headers: dict[str, str]
    connection: tuple[str, int]
    at: float
    method: str = "GET"
    query: str = ""


Reply = tuple["Step | None", int, dict[str, str], bytes]


def steps_from(script: Iterable[str | Step]) -> list[Step]:
    """``["queued", "processing", Step(...)]``: bare words answer one request each."""
    steps = [s if isinstance(s, Step) else Step(status=s, requests=1) for s in script]
    if not steps:
        raise ValueError("a job needs at least one step")
    return steps


class Simulator:
    """Start with ``with Simulator() as sim:``; ``sim.base_url('krea')`` for profiles."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        keys: dict[str, dict[str, str]] | None = None,
        auth_scheme: str = "Bearer",
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.jobs: dict[tuple[str, str], SimJob] = {}
        self.files: dict[str, files.SimFile] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        # Set to cut every waiting answer short: on stop, and on reset for the next test.
        self.release = threading.Event()
        self._active = 0  # requests being answered now
        self.reset(latency=latency, keys=keys, auth_scheme=auth_scheme, clock=clock)
        self.server = _Server((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def reset(
        self,
        *,
        latency: float = 0.0,
        keys: dict[str, dict[str, str]] | None = None,
        auth_scheme: str = "Bearer",
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """Forget every job and request and go back to the given settings.

        One server then serves a whole test session: starting and stopping one per
        test costs more than the tests themselves. Answers still held back (a slow
        step, latency) are let go first, so none lands in the next test's log.
        """
        self.release.set()
        deadline = time.monotonic() + 2.0
        while self._active and time.monotonic() < deadline:
            time.sleep(0.005)
        with self.lock:
            self.release = threading.Event()
            self.specs: dict[str, Simulated] = dict(SIMULATED)
            self.routes = {name: _route(spec.path) for name, spec in SIMULATED.items()}
            self.latency = latency
            self.keys = keys or {p: dict(v) for p, v in DEFAULT_KEYS.items()}
            self.auth_scheme = auth_scheme
            # Job lifecycles ("seconds" steps) and the times in the answers run on it: a
            # test passes the clock its client waits with, so neither waits for real.
            self.time_source = clock
            self.jobs.clear()
            self.requests.clear()
            self.files.clear()
            self.scripted: dict[tuple[str, str, str], SimJob] = {}

    def clock(self) -> float:
        return self.time_source.monotonic()

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.time_source.time(), timezone.utc)

    # --- lifecycle ---------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def base_url(self, provider: str) -> str:
        return f"{self.origin}/{provider}"

    def start(self) -> Simulator:
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="jobctl-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self.server.serve_forever()

    # --- scripting ---------------------------------------------------------------

    def add_route(
        self,
        provider: str,
        path: str,
        payload: PayloadFn,
        keys: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        *,
        listing: SimList | None = None,
        cancel: SimCancel | None = None,
        success: str = "",
        failure: tuple[str, ...] = (),
    ) -> None:
        """Serve one more provider under ``/<provider>``: ``path`` with ``{id}``, bodies
        from ``payload``; only requests carrying ``headers`` (the credentials ``keys``
        stand for in a profile) are authorized. ``listing`` and ``cancel`` add those
        endpoints; ``success`` and ``failure`` are the words of a finished job."""
        # Header values are literal here: escape the braces Simulated.auth would fill in.
        wanted = {k.lower(): v.replace("{", "{{").replace("}", "}}") for k, v in (headers or {}).items()}
        spec = Simulated(
            path=path,
            keys=keys or {},
            auth=wanted,
            success=success,
            failure=failure,
            payload=lambda job_id, status, created, updated, events: payload(
                job_id, status, created, updated
            ),
            listing=listing,
            cancel=cancel,
        )
        with self.lock:
            self.routes[provider] = _route(spec.path)
            self.specs[provider] = spec
            self.keys[provider] = dict(keys or {})

    def add_job(
        self, provider: str, job_id: str, script: Iterable[str | Step], created: datetime | None = None
    ) -> SimJob:
        if provider not in self.routes:
            raise KeyError(provider)
        job = SimJob(provider, job_id, steps_from(script), created or self.utcnow() - timedelta(seconds=5))
        with self.lock:
            self.jobs[(provider, job_id)] = job
        return job

    def add_answers(self, provider: str, method: str, path: str, script: Iterable[Step]) -> None:
        """Answer ``method`` on ``path`` (under ``/<provider>``, without the query) by
        ``script`` before the provider's own answer: a step with a fault or a ``body``
        replaces it, a plain step lets it through. Only authorized requests get here."""
        with self.lock:
            self.scripted[(provider, method.upper(), path)] = SimJob(
                provider, path, steps_from(script), self.utcnow()
            )

    def add_file(self, name: str, size: int, **options: Any) -> files.SimFile:
        """Serve deterministic bytes at ``/files/NAME`` (see ``files.SimFile`` for options)."""
        file = files.SimFile(name, size, **options)
        with self.lock:
            self.files[name] = file
        return file

    def replace_file(self, name: str, **changes: Any) -> files.SimFile:
        """Put a new version of ``/files/NAME`` at the same URL: other bytes, a new ETag and
        Last-Modified; ``changes`` set other options (its size, which validators it sends),
        and its faults start over."""
        with self.lock:
            old = self.files[name]
            file = replace(old, version=old.version + 1, requests=0, **changes)
            self.files[name] = file
        return file

    def file_url(self, name: str) -> str:
        return f"{self.origin}/files/{name}"

    def profile(self, providers: Iterable[str] = PROVIDERS) -> dict[str, dict[str, Any]]:
        """A profile (as a dict) pointing every provider at this simulator."""
        return {p: {**self.keys[p], "base_url": self.base_url(p)} for p in providers}

    def requests_for(self, provider: str | None = None, job_id: str | None = None) -> list[Request]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (provider is None or r.provider == provider)
                and (job_id is None or r.path.rstrip("/").endswith("/" + job_id))
            ]

    def connections(self, provider: str) -> int:
        return len({r.connection for r in self.requests_for(provider)})

    # --- answering ---------------------------------------------------------------

    def _authorized(self, provider: str, headers: dict[str, str]) -> bool:
        spec = self.specs[provider]
        values = {**self.keys[provider], "scheme": self.auth_scheme}
        return all(headers.get(name) == want.format(**values) for name, want in spec.auth.items())

    def current_step(self, job: SimJob, now: float, count: bool = True) -> Step:
        """Advance ``job`` past finished steps; the caller holds the lock. ``count``: this
        is a request for the job itself (a list or a cancel only looks at it)."""
        if job.step_started is None:
            job.step_started = now
            self._enter(job, 0.0)
        while job.index < len(job.steps) - 1:
            step = job.steps[job.index]
            if step.requests is not None and job.served >= step.requests:
                job.step_started = now
            elif step.seconds is not None and now - job.step_started >= step.seconds:
                job.step_started += step.seconds
            else:
                break
            job.index += 1
            job.served = 0
            self._enter(job, now - job.step_started)
        job.served += count
        return job.steps[job.index]

    def _enter(self, job: SimJob, late: float) -> None:
        """Start the job's current step, which (time-based) began ``late`` seconds ago."""
        step = job.steps[job.index]
        now = self.utcnow() - timedelta(seconds=late)
        if step.status is not None and step.status != job.status:
            job.status = step.status
            job.changed = now
        job.fields.update(step.fields)
        if step.event:
            job.events.append((*step.event, now))

    def _with_job(
        self, provider: str, raw_id: str, respond: Callable[[Simulated, SimJob, float], Reply]
    ) -> Reply:
        """The provider's answer about one job: its error for an id it rejects or a job it
        does not have, else ``respond(spec, job, now)``, under the lock."""
        spec = self.specs[provider]
        bad = spec.rejects_id(raw_id)
        if bad:
            return (None, *_error(bad))
        with self.lock:
            job = self.jobs.get((provider, raw_id))
            if job is None:
                return (None, *_error(spec.not_found))
            return respond(spec, job, self.clock())

    def answer(self, provider: str, raw_id: str) -> Reply:
        """(fault step or None, status, headers, body) for one authorized GET."""

        def respond(spec: Simulated, job: SimJob, now: float) -> Reply:
            step = self.current_step(job, now)
            if _is_fault(step):
                return _fault(step)
            return step, 200, dict(step.headers), _json(self._payload(spec, job))

        return self._with_job(provider, raw_id, respond)

    def _payload(self, spec: Simulated, job: SimJob) -> dict[str, Any]:
        created = job.created
        data = spec.payload(job.id, job.status, created, job.changed or created, list(job.events))
        data.update(job.fields)
        return data

    def route(self, provider: str, method: str, path: str) -> tuple[str, str] | None:
        """Which endpoint ``method path`` is (``job``, ``list``, ``cancel``, ``details``,
        or ``method`` for a known path asked with another method) and its raw id."""
        spec = self.specs[provider]
        known = [("job", "GET", self.routes[provider])]
        if spec.listing:
            known.append(("list", "GET", re.compile(re.escape(spec.listing.path))))
        if spec.cancel:
            known.append(("cancel", spec.cancel.method, _route(spec.cancel.path)))
        if spec.details:
            known.append(("details", "GET", _route(spec.details[0])))
        found = None
        for kind, wanted, pattern in known:
            match = pattern.fullmatch(path)
            if match and wanted == method:
                return kind, unquote(match.groupdict().get("id") or "")
            found = found or (("method", "") if match else None)
        return found

    def scripted_answer(self, provider: str, method: str, path: str) -> Reply | None:
        """The scripted answer for this route now, if its current step scripts one."""
        with self.lock:
            script = self.scripted.get((provider, method, path))
            step = self.current_step(script, self.clock()) if script else None
        return _fault(step) if step is not None and _is_fault(step) else None

    def list_answer(self, provider: str, query: str, url: str) -> Reply:
        """A page of the provider's jobs, newest first, as its list endpoint answers."""
        spec = self.specs[provider]
        listing = spec.listing
        assert listing is not None
        asked = {k: v[-1] for k, v in parse_qs(query).items()}
        size = listing.page_size
        if listing.limit_param and listing.limit_param in asked:
            limit = asked[listing.limit_param]
            if not limit.isdigit() or not 1 <= int(limit) <= listing.max_limit:
                return (None, *_error(listing.bad_limit))
            size = min(int(limit), size or int(limit))
        with self.lock:
            now = self.clock()
            jobs = [job for (name, _), job in self.jobs.items() if name == provider]
            for job in jobs:
                self.current_step(job, now, count=False)
            jobs.sort(key=lambda job: job.created, reverse=True)
            word = asked.get(listing.status_param or "")
            rows = [self._payload(spec, job) for job in jobs if word is None or job.status == word]
        cursor = re.fullmatch(r"p(\d+)", asked.get(listing.cursor_param, "p0"))
        if cursor is None:
            return None, 400, {}, _json({"detail": "unknown cursor"})
        start = int(cursor.group(1)) if size else 0
        end = start + size if size else len(rows)
        after = f"p{end}" if end < len(rows) else None
        return None, 200, {}, _json(listing.page(rows[start:end], after, url))

    def cancel_answer(self, provider: str, raw_id: str) -> Reply:
        """The provider's answer to a cancel: the job moves to its cancelled word."""
        cancel = self.specs[provider].cancel
        assert cancel is not None

        def respond(spec: Simulated, job: SimJob, now: float) -> Reply:
            self.current_step(job, now, count=False)
            if job.status in (spec.success, *spec.failure):
                return (None, *_error(cancel.finished))
            job.steps = [*job.steps[: job.index + 1], Step(status=cancel.becomes)]
            job.index, job.served, job.step_started = job.index + 1, 0, now
            self._enter(job, 0.0)
            return None, 200, {}, _json(cancel.answer(self._payload(spec, job)))

        return self._with_job(provider, raw_id, respond)

    def details_answer(self, provider: str, raw_id: str) -> Reply:
        """The provider's details of one job (Unstructured's ``/details``)."""
        details = self.specs[provider].details
        assert details is not None

        def respond(spec: Simulated, job: SimJob, now: float) -> Reply:
            self.current_step(job, now, count=False)
            return None, 200, {}, _json(details[1](raw_id, job.status))

        return self._with_job(provider, raw_id, respond)


def _is_fault(step: Step) -> bool:
    return bool(step.redirect or step.drop or step.body is not None or step.http_status != 200)


def _fault(step: Step) -> Reply:
    body = step.body.encode() if isinstance(step.body, str) else (step.body or b"")
    return step, step.http_status, dict(step.headers), body


def _json(value: Any) -> bytes:
    return b"" if value is None else json.dumps(value).encode()


def _error(answer: Answer) -> tuple[int, dict[str, str], bytes]:
    return answer[0], {}, _json(answer[1])


def _route(path: str) -> re.Pattern[str]:
    """``path`` as a pattern whose ``{id}`` is one path segment."""
    return re.compile(re.escape(path).replace(r"\{id\}", "(?P<id>[^/]+)"))


class _Server(ThreadingHTTPServer):
    # The listen backlog: with socketserver's 5, a watch's first burst of connections (a
    # worker each) overflows it, and the dropped SYNs are sent again only after a second.
    request_queue_size = 128


def _handler_for(sim: Simulator) -> type[BaseHTTPRequestHandler]:

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without this, Nagle holds the body
        # back until the client acknowledges the headers, ~40 ms a request on loopback.
        disable_nagle_algorithm = True
        server_version = "jobctl-sim"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet; requests are recorded in sim.requests

        def handle(self) -> None:
            # The client hung up (a download stopped early): nothing is left to answer.
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                super().handle()

        def do_GET(self) -> None:
            self._count("GET")

        def do_DELETE(self) -> None:
            self._count("DELETE")

        def do_POST(self) -> None:
            self._count("POST")

        def do_PUT(self) -> None:
            self._count("PUT")

        def do_PATCH(self) -> None:
            self._count("PATCH")

        def _count(self, method: str) -> None:
            with sim.lock:
                sim._active += 1
                release = sim.release
            try:
                length = self.headers.get("Content-Length", "0")
                self.rfile.read(int(length) if length.isdigit() else 0)  # a cancel sends no body
                self._answer(release, method)
            finally:
                with sim.lock:
                    sim._active -= 1

        def _answer(self, release: threading.Event, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            provider, _, rest = path.lstrip("/").partition("/")
            headers = {k.lower(): v for k, v in self.headers.items()}
            if provider not in sim.routes and provider != "files":
                return self._send(404, {}, b'{"detail": "Not found."}')
            with sim.lock:
                sim.requests.append(
                    Request(provider, path, headers, self.client_address, sim.clock(), method, parts.query)
                )
            if sim.latency:
                release.wait(sim.latency)
            if provider == "files":
                return files.serve(sim, self, unquote(rest))
            found = sim.route(provider, method, "/" + rest)
            if not found:
                return self._send(*_error(sim.specs[provider].not_found))
            if not sim._authorized(provider, headers):
                return self._send(*_error(sim.specs[provider].unauthorized))
            kind, job_id = found
            reply = sim.scripted_answer(provider, method, "/" + rest)
            if reply is None and kind == "job":
                reply = sim.answer(provider, job_id)
            elif reply is None and kind == "list":
                reply = sim.list_answer(provider, parts.query, sim.base_url(provider) + "/" + rest)
            elif reply is None and kind == "cancel":
                reply = sim.cancel_answer(provider, job_id)
            elif reply is None and kind == "details":
                reply = sim.details_answer(provider, job_id)
            elif reply is None:
                reply = (None, 405, {}, b'{"detail": "Method Not Allowed"}')
            step, code, extra, body = reply
            if step is not None and step.delay:
                release.wait(step.delay)
            if step is not None and step.drop:
                self.close_connection = True
                self.connection.close()
                return None
            if step is not None and step.redirect:
                location = step.redirect if "://" in step.redirect else sim.origin + step.redirect
                return self._send(
                    step.http_status if 300 <= step.http_status < 400 else 302,
                    {"Location": location, **extra},
                    b"",
                )
            length = step.content_length if step is not None and step.content_length else None
            return self._send(code, extra, body, length)

        def _send(self, code: int, headers: dict[str, str], body: bytes, length: int | None = None) -> None:
            self.send_response(code)
            looks_json = body[:1] in (b"{", b"[")
            if not any(k.lower() == "content-type" for k in headers):
                self.send_header("Content-Type", "application/json" if looks_json else "text/html")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(length if length is not None else len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                return
            if length is not None and length > len(body):
                self.close_connection = True

    return Handler
