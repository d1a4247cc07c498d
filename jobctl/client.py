"""The library: ``Client`` and the module-level functions ``jobctl.get``, ``get_many``,
``watch``, ``wait`` and ``download`` that use a default one.

A client owns everything one user's settings need: the resolved profile, one
keep-alive session per provider, the redactor of its secrets and its debug log.
Nothing is process-wide, so two clients with different keys never mix them, and
one client may be shared between threads.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobctl._redaction import Redactor
from jobctl._watch.schedule import DEFAULT_INTERVAL, MAX_INTERVAL, Budget, Watcher, budget_rate
from jobctl.config import Config, inline_config, load_config
from jobctl.errors import JobctlError, PayloadError, UsageError
from jobctl.model import Job
from jobctl.refs import Ref, to_ref

if TYPE_CHECKING:
    from jobctl._http import DebugLog, ProviderClient

logger = logging.getLogger("jobctl")
# A library never prints: without this, logging's last-resort handler would write the
# warnings to stderr when the application configured no logging.
logger.addHandler(logging.NullHandler())

RefLike = str | Ref | tuple[str, str]


def backoff_from(env: Mapping[str, str]) -> float:
    """The first retry's wait in seconds: JOBCTL_BACKOFF lets tests and impatient users
    shorten the waits between retries (default 0.5; doubling from there)."""
    try:
        return max(0.0, float(env.get("JOBCTL_BACKOFF", "0.5")))
    except ValueError:
        return 0.5


Outcome = Job | JobctlError


class Client:
    """Reads jobs with one profile's credentials.

    ``Client()`` resolves the file and profile as the CLI does (``JOBCTL_CONFIG``,
    ``JOBCTL_PROFILE``...); ``config=`` names a file, ``profile=`` a profile in it,
    and ``providers=`` gives the provider entries directly, e.g.
    ``{"krea": {"api_key": "...", "base_url": "..."}}``.
    """

    def __init__(
        self,
        profile: str | None = None,
        config: str | os.PathLike[str] | Config | None = None,
        providers: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        redactor: Redactor | None = None,
        log: DebugLog | None = None,
        backoff: float | None = None,
    ) -> None:
        env = dict(os.environ if env is None else env)
        self.redactor = redactor or Redactor()
        if isinstance(config, Config):  # already loaded (the CLI prints its warnings itself)
            self.config: Config = config
            self.redactor = config.redactor
        else:
            if providers is not None:
                self.config = inline_config(providers, env, self.redactor)
            else:
                self.config = load_config(config, profile, env, self.redactor)
            for warning in self.config.warnings:
                logger.warning("%s", warning)
        self._log = log or (self._log_debug if logger.isEnabledFor(logging.DEBUG) else None)
        self.backoff = backoff_from(env) if backoff is None else max(0.0, backoff)
        # One per provider and patience: get waits out a short rate limit, watch never
        # does (its schedule pauses the provider instead).
        self._clients: dict[tuple[str, bool], ProviderClient] = {}
        self._lock = threading.Lock()

    def _log_debug(self, line: str) -> None:
        logger.debug("%s", self.redactor(line))

    # --- reading jobs ------------------------------------------------------------

    def provider_client(self, provider: str, patient: bool = True) -> ProviderClient:
        with self._lock:
            if (provider, patient) not in self._clients:
                from jobctl._http import ProviderClient

                settings = self.config.settings_for(provider)
                self._clients[provider, patient] = ProviderClient(
                    settings, self._log, self.backoff, self.redactor, patient=patient
                )
            return self._clients[provider, patient]

    def fetch(self, ref: Ref, patient: bool = True) -> Job:
        """One GET of a validated ref, normalized; raises a JobctlError naming the ref.

        Impatient, a rate limit is raised at once as RateLimited instead of waited out."""
        try:
            payload = self.provider_client(ref.provider, patient).get_payload(ref.id)
            try:
                return self.config.registry.get(ref.provider).normalize(ref.id, payload)
            except JobctlError:
                raise
            except Exception as exc:  # a payload shape nobody foresaw must not crash the run
                what = type(exc).__name__
                raise PayloadError(f"{ref}: could not read the job payload ({what})") from exc
        except JobctlError as exc:
            exc.ref = exc.ref or (ref.provider, ref.id)
            raise

    def ref(self, ref: RefLike, job_id: str | None = None) -> Ref:
        """A validated Ref among this client's providers (built-in, declared or plugins)."""
        return to_ref(ref, job_id, self.config.registry)

    def get(self, ref: RefLike, job_id: str | None = None) -> Job:
        """``get("krea:ID")``, ``get("krea", "ID")`` or ``get(("krea", "ID"))``."""
        return self.fetch(self.ref(ref, job_id))

    def get_many(self, refs: Iterable[RefLike]) -> list[Outcome]:
        """Every ref tried, up to 8 at a time per provider; a Job or the error, in order."""
        parsed: list[Ref | JobctlError] = []
        for item in refs:
            try:
                parsed.append(self.ref(item))
            except UsageError as exc:
                parsed.append(exc)
        unique = list(dict.fromkeys(r for r in parsed if isinstance(r, Ref)))
        fetched = dict(zip(unique, self.fetch_all(unique), strict=True))
        return [fetched[r] if isinstance(r, Ref) else r for r in parsed]

    def fetch_one(self, ref: Ref) -> Outcome:
        try:
            return self.fetch(ref)
        except JobctlError as exc:
            return exc

    def fetch_all(self, refs: Sequence[Ref]) -> list[Outcome]:
        """Validated refs, fetched concurrently; results in input order.

        Daemon threads rather than an executor, so Ctrl-C never waits for a slow host.
        """
        from jobctl._http import POOL_SIZE

        if len(refs) <= 1:
            return [self.fetch_one(r) for r in refs]
        results: dict[int, Outcome] = {}
        queues: dict[str, list[tuple[int, Ref]]] = {}
        for n, ref in enumerate(refs):
            queues.setdefault(ref.provider, []).append((n, ref))

        def work(todo: list[tuple[int, Ref]]) -> None:
            while True:
                try:
                    n, ref = todo.pop()  # list.pop is atomic
                except IndexError:
                    return
                results[n] = self.fetch_one(ref)

        threads = [
            threading.Thread(target=work, args=(todo,), daemon=True, name=f"jobctl-{provider}")
            for provider, todo in queues.items()
            for _ in range(min(POOL_SIZE, len(todo)))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [results[n] for n in range(len(refs))]

    # --- waiting -----------------------------------------------------------------

    def watcher(
        self,
        refs: Sequence[Ref],
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = MAX_INTERVAL,
        history: Iterable[Job] = (),
    ) -> Watcher:
        """The polling engine the CLI's displays consume (``Watcher.changes``), spending
        each provider's budget where finishes are likely (``history``: jobs seen before,
        such as the journal's, to learn how long each kind takes)."""
        from jobctl._watch.policy import LikelihoodSchedule

        budgets = {}
        for provider in {r.provider for r in refs}:
            try:
                settings = self.config.settings_for(provider)
                rate = budget_rate(settings.max_rps, settings.max_rpm)
            except JobctlError:
                rate = budget_rate(None, None)  # its refs will fail with the config error anyway
            budgets[provider] = Budget(rate)
        schedule = LikelihoodSchedule(refs, budgets, interval, max_interval, history=history)
        return Watcher(lambda ref: self.fetch(ref, patient=False), schedule)

    def watch(
        self,
        refs: Iterable[RefLike],
        *,
        timeout: float | None = None,
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = MAX_INTERVAL,
    ) -> Iterator[Outcome]:
        """Yield a Job each time one changes and a JobctlError for a ref that failed for
        good (404, refused...); end when every job is done. Raises WaitTimeout, and a
        UsageError for a bad ref before anything is sent."""
        parsed = list(dict.fromkeys(self.ref(r) for r in refs))
        watcher = self.watcher(parsed, interval, max_interval)
        try:
            for item in watcher.changes(until_done=True, timeout=timeout):
                if item is None:
                    continue
                if item.error is not None and item.final:
                    yield item.error
                elif item.job is not None and item.error is None and item.json_changed:
                    yield item.job
        finally:
            watcher.close()

    def wait(
        self,
        refs: RefLike | Iterable[RefLike],
        *,
        timeout: float | None = None,
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = MAX_INTERVAL,
    ) -> list[Job]:
        """Every job in its final state, in the order given, once all are done.

        A failed job is a Job; a ref that can never finish (404, refused) raises its
        error, and running out of ``timeout`` seconds raises WaitTimeout.
        """
        wanted = [self.ref(refs)] if isinstance(refs, (str, Ref)) else [self.ref(r) for r in refs]
        final: dict[Ref, Job] = {}
        for outcome in self.watch(wanted, timeout=timeout, interval=interval, max_interval=max_interval):
            if isinstance(outcome, JobctlError):
                raise outcome
            if outcome.done:
                final[Ref(outcome.provider, outcome.id)] = outcome
        return [final[r] for r in wanted]

    def download(
        self,
        refs: RefLike | Iterable[RefLike],
        dir: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        max_size: int | None = None,
    ) -> list[Path]:
        """Each succeeded job's output files into ``dir``, named as the CLI names them;
        the paths written (or found complete), in job order.

        Every file that can be fetched is; then the first problem is raised: a job that
        has not succeeded (``JobFailed``), a failed download (``ProviderError``)...
        """
        from jobctl._download.engine import DEFAULT_MAX_SIZE
        from jobctl._download.plan import prepare_dir
        from jobctl.cli.output.progress import download_jobs

        wanted = [self.ref(refs)] if isinstance(refs, (str, Ref)) else [self.ref(r) for r in refs]
        outcomes = self.fetch_all(list(dict.fromkeys(wanted)))
        jobs = [o for o in outcomes if isinstance(o, Job)]
        saved, failed = download_jobs(
            jobs,
            prepare_dir(os.fspath(dir)),
            self.config,
            note=lambda line: logger.info("%s", line),
            overwrite=overwrite,
            max_size=DEFAULT_MAX_SIZE if max_size is None else max_size,
            log=self._log,
        )
        problems = [o for o in outcomes if isinstance(o, JobctlError)] + failed
        if problems:
            raise problems[0]
        return [s.path for s in saved]

    # --- lifetime ----------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_default: Client | None = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The ``Client()`` behind the module-level functions, made on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Client()
        return _default


def get(ref: RefLike, job_id: str | None = None) -> Job:
    return default_client().get(ref, job_id)


def get_many(refs: Iterable[RefLike]) -> list[Outcome]:
    return default_client().get_many(refs)


def watch(
    refs: Iterable[RefLike],
    *,
    timeout: float | None = None,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = MAX_INTERVAL,
) -> Iterator[Outcome]:
    return default_client().watch(refs, timeout=timeout, interval=interval, max_interval=max_interval)


def wait(
    refs: RefLike | Iterable[RefLike],
    *,
    timeout: float | None = None,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = MAX_INTERVAL,
) -> list[Job]:
    return default_client().wait(refs, timeout=timeout, interval=interval, max_interval=max_interval)


def download(
    refs: RefLike | Iterable[RefLike],
    dir: str | os.PathLike[str] = ".",
    *,
    overwrite: bool = False,
    max_size: int | None = None,
) -> list[Path]:
    return default_client().download(refs, dir, overwrite=overwrite, max_size=max_size)


__all__ = ["Client", "default_client", "download", "get", "get_many", "wait", "watch"]
