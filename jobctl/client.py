"""The library: ``Client`` (get, get_many, list_jobs, cancel, watch, wait, download,
gallery) and the module-level functions ``jobctl.get``, ``get_many``, ``watch``,
``wait``, ``download`` and ``gallery`` that use a default one.

A client owns everything one user's settings need: the resolved profile, one
keep-alive session per provider, the redactor of its secrets and its debug log.
Nothing is process-wide, so two clients with different keys never mix them, and
one client may be shared between threads.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from jobctl._clock import SYSTEM_CLOCK, Clock
from jobctl._download.plan import DEFAULT_MAX_SIZE
from jobctl._redaction import Redactor
from jobctl._units import size_limit
from jobctl._watch.schedule import DEFAULT_INTERVAL, MAX_INTERVAL, Budget, budget_rate, check_timing
from jobctl._wording import LIBRARY, Wording
from jobctl.config import Config, inline_config, load_config
from jobctl.errors import BrokenWatch, JobctlError, PayloadError, RequestRejected, UsageError
from jobctl.model import Job, Status
from jobctl.refs import Ref, to_ref

if TYPE_CHECKING:
    from pathlib import Path

    from jobctl._download.engine import Saved
    from jobctl._download.events import DownloadEvent
    from jobctl._download.run import DownloadResult, DownloadRun
    from jobctl._http import DebugLog, ProviderClient
    from jobctl._watch.run import Watch
    from jobctl.journal import Journal
    from jobctl.providers.base import Provider

logger = logging.getLogger("jobctl")
# A library never prints: without this, logging's last-resort handler would write the
# warnings to stderr when the application configured no logging.
logger.addHandler(logging.NullHandler())

RefLike = str | Ref | tuple[str, str | int]
Refs = str | Ref | Iterable[RefLike]  # one ref (a string or a Ref), or several
Outcome = Job | JobctlError
Shown = RefLike | Job | JobctlError
DEFAULT_PAGE = "jobctl-gallery.html"  # where a gallery goes unless told (the CLI's -o default too)
Progress = Callable[["DownloadEvent"], None]


def backoff_from(env: Mapping[str, str]) -> float:
    """The first retry's wait in seconds: JOBCTL_BACKOFF lets tests and impatient users
    shorten the waits between retries (default 0.5; doubling from there)."""
    try:
        return max(0.0, float(env.get("JOBCTL_BACKOFF", "0.5")))
    except ValueError:
        return 0.5


class Client:
    """Reads, watches and downloads jobs with one profile's credentials.

    Args:
        profile: a profile of the config file (default: ``$JOBCTL_PROFILE``, the file's
            ``default_profile``, then ``default``).
        config: the config file to read (default: ``$JOBCTL_CONFIG``, then the per-user
            ``jobctl/config.yaml``), or a ``Config`` already loaded.
        providers: the provider entries themselves instead of a file, e.g.
            ``{"krea": {"api_key": "...", "base_url": "..."}}``.
        env: the environment variables to resolve ``${VAR}``, fallback keys and
            ``JOBCTL_*`` settings from (default: ``os.environ``).
        journal: where the jobs this client watches and downloads are remembered (a
            ``jobctl.journal.Journal``); None: nowhere.
        clock: the clock every wait goes through (tests pass one that does not sleep).
        wording: how messages name what to change (default: this API's own parameters;
            the command line passes its flags).

    Raises:
        ConfigError: the file, the profile or an entry is unusable.

    Example::

        client = jobctl.Client(profile="work")
        job = client.get("krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20")
    """

    def __init__(
        self,
        profile: str | None = None,
        config: str | os.PathLike[str] | Config | None = None,
        providers: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        journal: Journal | None = None,
        clock: Clock = SYSTEM_CLOCK,
        redactor: Redactor | None = None,
        log: DebugLog | None = None,
        backoff: float | None = None,
        wording: Wording = LIBRARY,
    ) -> None:
        env = dict(os.environ if env is None else env)  # the library's one read of os.environ
        self.env = env
        self.wording = wording
        self.redactor = redactor or Redactor()
        if isinstance(config, Config):  # already loaded (the CLI prints its warnings itself)
            self.config: Config = config
            self.redactor = config.redactor
        else:
            if providers is not None:
                self.config = inline_config(providers, env, self.redactor)
            else:
                self.config = load_config(config, profile, env, self.redactor, words=wording)
            for warning in self.config.warnings:
                logger.warning("%s", warning)
        self.journal = journal
        self.clock = clock
        self._log = log or (self._log_debug if logger.isEnabledFor(logging.DEBUG) else None)
        self.backoff = backoff_from(env) if backoff is None else max(0.0, backoff)
        # One per provider and patience: get waits out a short rate limit, watch never
        # does (its schedule pauses the provider instead).
        self._clients: dict[tuple[str, bool], ProviderClient] = {}
        self._lock = threading.Lock()

    def _log_debug(self, line: str) -> None:
        logger.debug("%s", self.redactor(line))

    # --- reading jobs ------------------------------------------------------------

    def ref(self, ref: RefLike, job_id: str | int | None = None) -> Ref:
        """A validated ``Ref`` among this client's providers (built-in, declared or plugins).

        Raises:
            UsageError: an unknown provider, an id the provider's rule refuses, or an
                argument of another type (an id is a string or an int).
        """
        return to_ref(ref, job_id, self.config.registry, self.wording)

    def get(self, ref: RefLike, job_id: str | int | None = None) -> Job:
        """One job as it is now.

        Args:
            ref: ``"krea:ID"``, ``("krea", "ID")``, or the provider with ``job_id``.
            job_id: the job's id (a string, or an int: ``get("aisquare", 1042)``), when
                ``ref`` names only the provider.

        Returns:
            The job, normalized (a failed job is a ``Job`` too, never an exception).

        Raises:
            UsageError: a bad ref or id, or one of another type (nothing was sent).
            AuthError, NotFoundError, ProviderError: what the provider answered.

        Example::

            job = client.get("krea", "4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20")
            print(job.status, job.outputs)
        """
        return self._fetch(self.ref(ref, job_id))

    def get_many(self, refs: Iterable[RefLike]) -> list[Outcome]:
        """Every ref tried, up to 8 at a time per provider.

        Returns:
            A ``Job`` or the ``JobctlError`` for each ref, in the order given.

        Example::

            for outcome in client.get_many(["krea:a", "aisquare:42"]):
                print(outcome if isinstance(outcome, jobctl.JobctlError) else outcome.status)
        """
        return self._each(refs, self._fetch)

    def _each(
        self,
        refs: Iterable[RefLike],
        task: Callable[[Ref], Job],
        check: Callable[[Ref], object] | None = None,
    ) -> list[Outcome]:
        """``task`` for each ref (read, then passed through ``check``), a repeated ref
        asked once: the Job or the JobctlError for each, in the order given."""
        parsed: list[Ref | JobctlError] = []
        for item in refs:
            try:
                ref = self.ref(item)
                if check:
                    check(ref)
                parsed.append(ref)
            except UsageError as exc:
                parsed.append(exc)
        unique = list(dict.fromkeys(r for r in parsed if isinstance(r, Ref)))
        done = dict(zip(unique, self._fetch_all(unique, task), strict=True))
        return [done[r] if isinstance(r, Ref) else r for r in parsed]

    def _provider_client(self, provider: str, patient: bool = True) -> ProviderClient:
        with self._lock:
            if (provider, patient) not in self._clients:
                from jobctl._http import ProviderClient

                settings = self.config.settings_for(provider)
                self._clients[provider, patient] = ProviderClient(
                    settings, self._log, self.backoff, self.redactor, patient=patient, clock=self.clock
                )
            return self._clients[provider, patient]

    def _fetch(self, ref: Ref, patient: bool = True) -> Job:
        """One GET of a validated ref, normalized; raises a JobctlError naming the ref.

        Impatient, a rate limit is raised at once as RateLimited instead of waited out."""
        try:
            client = self._provider_client(ref.provider, patient)
            payload = client.get_payload(ref.id)
            provider = self.config.registry.get(ref.provider)
            try:
                job = provider.normalize(ref.id, payload)
            except JobctlError:
                raise
            except Exception as exc:  # a payload shape nobody foresaw must not crash the run
                what = type(exc).__name__
                raise PayloadError(f"{ref}: could not read the job payload ({what})") from exc
            return self._follow_up(client, provider, job)
        except JobctlError as exc:
            exc.ref = exc.ref or (ref.provider, ref.id)
            raise

    def _follow_up(self, client: ProviderClient, provider: Provider, job: Job) -> Job:
        """The job with what its provider's one extra request adds (Unstructured: a failed
        job's reason); the job as read when that request or its reading fails."""
        path = provider.follow_up(job)
        if path is None:
            return job
        try:
            body = client.request("GET", path, ref=f"{job.provider}:{job.id}")
            return provider.read_follow_up(job, body)
        except Exception as exc:  # never costs the answer, whoever's code failed
            if self._log:
                self._log(f"{job.provider}:{job.id}: kept the job as read; {path} failed: {exc}")
            return job

    def _fetch_all(self, refs: Sequence[Ref], task: Callable[[Ref], Job] | None = None) -> list[Outcome]:
        """Validated refs, each given to ``task`` (default: a GET) concurrently; results
        (a Job or the JobctlError) in input order.

        Daemon threads rather than an executor, so Ctrl-C never waits for a slow host.
        """
        from jobctl._http import POOL_SIZE

        fetch = task or self._fetch

        def one(ref: Ref) -> Outcome:
            try:
                return fetch(ref)
            except JobctlError as exc:
                return exc
            except Exception as exc:  # a bug (ours, a plugin's) costs that ref, not the others
                return BrokenWatch.of(ref, exc)

        if len(refs) <= 1:
            return [one(r) for r in refs]
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
                results[n] = one(ref)

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

    def _refs(self, refs: Refs) -> list[Ref]:
        """One ref or several, validated, in order, without repeats."""
        if isinstance(refs, (str, Ref)):
            return [self.ref(refs)]
        return list(dict.fromkeys(self.ref(r) for r in refs))

    # --- the provider's own view: listing and cancelling ----------------------------

    def list_jobs(self, provider: str, status: str | Status | None = None, limit: int = 20) -> list[Job]:
        """The provider's recent jobs on this account, newest first, from its documented
        list endpoint (pages followed until ``limit``).

        Args:
            provider: a provider whose API can list, e.g. ``"krea"`` or ``"unstructured"``.
            status: only jobs in this normalized status (``"running"``...); sent as the
                provider's own filter where one of its words means exactly that.
            limit: at most this many jobs, 1 to 1000.

        Returns:
            The jobs, normalized as ``get`` reads them.

        Raises:
            UsageError: an unknown provider, one that documents no list, a bad
                ``status`` or ``limit`` (nothing was sent).
            AuthError, ProviderError: what the provider answered; a ProviderError too
                for an answer that is not the documented list, or a next page off the
                provider's origin.

        Example::

            for job in client.list_jobs("krea", status="running", limit=50):
                print(job.id, job.status)
        """
        from jobctl._remote import list_jobs, list_limit, list_status, lister

        wanted, most = list_status(status, self.wording), list_limit(limit, self.wording)
        found = lister(self.config.registry.get(provider))
        return list_jobs(self._provider_client(found.name), found, wanted, most)

    def cancel(self, ref: RefLike, job_id: str | None = None) -> Job:
        """Ask the provider to stop a job, then read it again.

        A job already done is returned as it is and nothing is sent to cancel it. A
        provider may take a while to stop a job: the job returned may still be running.

        Args:
            ref: ``"krea:ID"``, ``("krea", "ID")``, or the provider with ``job_id``.
            job_id: the job's id, when ``ref`` names only the provider.

        Returns:
            The job as the provider reports it after the request.

        Raises:
            UsageError: a bad ref, or a provider that documents no cancel (nothing sent).
            NotFoundError: the provider does not know the job.
            AuthError, ProviderError: what the provider answered (a cancel it refused,
                e.g. HTTP 409, is a ``RequestRejected``).

        Example::

            job = client.cancel("krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20")
            print(job.status)  # cancelled
        """
        from jobctl._remote import canceller

        parsed = self.ref(ref, job_id)
        canceller(self.config.registry.get(parsed.provider))
        return self._cancel(parsed)

    def cancel_many(self, refs: Iterable[RefLike]) -> list[Outcome]:
        """``cancel`` for each ref, up to 8 at a time per provider.

        Returns:
            A ``Job`` (as it is after the request) or the ``JobctlError`` for each ref,
            in the order given.

        Example::

            for outcome in client.cancel_many(["krea:a", "unstructured:b"]):
                print(outcome if isinstance(outcome, jobctl.JobctlError) else outcome.status)
        """
        from jobctl._remote import canceller

        return self._each(refs, self._cancel, lambda ref: canceller(self.config.registry.get(ref.provider)))

    def _cancel(self, ref: Ref) -> Job:
        before = self._fetch(ref)
        if before.done:
            return before
        provider = self.config.registry.get(ref.provider)
        method, path = provider.cancel_request(ref.id)
        try:
            self._provider_client(ref.provider).request(
                method, path, ref=str(ref), expect="anything", action="cancel"
            )
        except RequestRejected as exc:  # a 409 from a job that finished in the meantime
            exc.ref = (ref.provider, ref.id)
            after = self._fetch(ref)
            if after.done:
                return after
            raise
        except JobctlError as exc:
            exc.ref = exc.ref or (ref.provider, ref.id)
            raise
        return self._fetch(ref)

    # --- waiting -----------------------------------------------------------------

    def watch(
        self,
        refs: Refs,
        *,
        timeout: float | None = None,
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = MAX_INTERVAL,
        until_done: bool = True,
        download_to: str | os.PathLike[str] | None = None,
        overwrite: bool = False,
        max_size: int | str = DEFAULT_MAX_SIZE,
    ) -> Watch:
        """Follow jobs until every one is done: iterate the result for events.

        Each provider's request budget goes to the jobs likeliest to have finished, and a
        provider that asks for quiet (429, ``Retry-After``) is paused, never given up on.

        Args:
            refs: one ref ("krea:ID") or several.
            timeout: seconds before ``WaitTimeout`` (None: no limit).
            interval: seconds between a job's polls at first; grows x1.5 while unchanged.
            max_interval: the longest gap between a job's polls.
            until_done: end once every job is done; False: run until the loop stops.
            download_to: a directory for each job's files, fetched as soon as it succeeds.
            overwrite: download files again that are already there.
            max_size: refuse files larger than this: bytes, or a size such as ``"500MB"``
                or ``"2GiB"``.

        Returns:
            A ``Watch``: iterating it yields ``JobChanged``, ``PollFailed`` (``final``: that
            ref's watch is over), ``Paused``, ``Note``, ``Tick``, the download events, and
            last ``WatchEnded`` with a ``WatchSummary`` (counts, failures, requests per
            provider, exit code). ``watch.rows`` is each job's current state.

        Raises:
            UsageError: a bad ref, or timings that cannot work (an interval that is not
                more than 0 and at most a day, ``interval`` above ``max_interval``, a
                negative or infinite ``timeout``), before anything is sent.
            WaitTimeout: ``timeout`` ran out (raised after ``WatchEnded``).

        Example::

            for event in client.watch(["krea:a", "gepetto:b"], timeout=600):
                if isinstance(event, jobctl.JobChanged):
                    print(event.job.id, event.job.status)
        """
        from jobctl._watch.policy import LikelihoodSchedule
        from jobctl._watch.run import Watch

        check_timing(interval, max_interval, timeout, self.wording)
        cap = size_limit(max_size, self.wording.max_size)
        parsed = self._refs(refs)
        budgets = {}
        for provider in {r.provider for r in parsed}:
            try:
                settings = self.config.settings_for(provider)
                rate = budget_rate(settings.max_rps, settings.max_rpm)
            except JobctlError:
                rate = budget_rate(None, None)  # its refs will fail with the config error anyway
            budgets[provider] = Budget(rate, self.clock.monotonic)
        # Jobs seen before teach the policy how long each kind takes.
        history = [e.job for e in self.journal.entries(include_done=True)] if self.journal else []
        schedule = LikelihoodSchedule(
            parsed,
            budgets,
            interval,
            max_interval,
            clock=self.clock.monotonic,
            history=history,
            wall=self.clock.time,
        )
        downloads = None
        if download_to is not None:
            from jobctl._download.plan import prepare_dir

            folder = prepare_dir(download_to, self.env, self.wording.download_to)

            def downloads(emit: Callable[[DownloadEvent], None]) -> DownloadRun:
                return self._download_run(folder, emit, overwrite=overwrite, max_size=cap)

        return Watch(
            lambda ref: self._fetch(ref, patient=False),
            schedule,
            until_done=until_done,
            timeout=timeout,
            clock=self.clock,
            journal=self.journal,
            downloads=downloads,
        )

    def wait(
        self,
        refs: Refs,
        *,
        timeout: float | None = None,
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = MAX_INTERVAL,
    ) -> list[Job]:
        """Every job in its final state, once all are done.

        Args:
            refs: one ref or several.
            timeout, interval, max_interval: as for ``watch``.

        Returns:
            The jobs in the order given; a failed job is a ``Job`` whose status says so.

        Raises:
            UsageError: a bad ref or timings that cannot work (as for ``watch``).
            WaitTimeout: ``timeout`` ran out first.
            NotFoundError, AuthError, ProviderError: a ref that can never finish.

        Example::

            [job] = client.wait("krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20", timeout=600)
        """
        from jobctl._watch.events import JobChanged, PollFailed

        check_timing(interval, max_interval, timeout, self.wording)
        wanted = self._refs(refs)
        final: dict[Ref, Job] = {}
        for event in self.watch(wanted, timeout=timeout, interval=interval, max_interval=max_interval):
            if isinstance(event, PollFailed) and event.final:
                raise event.error
            if isinstance(event, JobChanged) and event.job.done:
                final[event.ref] = event.job
        return [final[r] for r in wanted]

    # --- downloading -------------------------------------------------------------

    def download(
        self,
        refs: Refs,
        dir: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        max_size: int | str = DEFAULT_MAX_SIZE,
        checksums: bool = False,
        progress: Progress | None = None,
    ) -> DownloadResult:
        """Each succeeded job's output files into ``dir``, named as the CLI names them.

        Every file that can be fetched is; what could not be is listed in the result.

        Args:
            refs: one ref or several.
            dir: the directory for the files (created if missing).
            overwrite: download files again that are already there.
            max_size: refuse files larger than this: bytes, or a size such as ``"500MB"``
                or ``"2GiB"`` (default 5 GiB).
            checksums: compute each file's SHA-256 (``Saved.sha256``).
            progress: called with each download event (started, progressed, finished,
                failed, a note), in this thread.

        Returns:
            A ``DownloadResult``: ``files`` (written or already there, in job order),
            ``skipped``, ``failures`` (each with its ``exit_code``), ``exit_code`` as the
            CLI's, and ``raise_for_failures()``.

        Raises:
            UsageError: a bad ref or ``max_size``, or a ``dir`` that cannot hold files
                (nothing was sent).

        Example::

            result = client.download("krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20", dir="out")
            result.raise_for_failures()
            print(result.files)
        """
        from jobctl._download.plan import prepare_dir

        cap = size_limit(max_size, self.wording.max_size)
        wanted = self._refs(refs)
        folder = prepare_dir(dir, self.env, self.wording.dir)
        outcomes = self._fetch_all(wanted)
        jobs = [o for o in outcomes if isinstance(o, Job)]
        if self.journal is not None:
            self.journal.record(jobs)
        inbox: queue.Queue[DownloadEvent] = queue.Queue()
        run = self._download_run(folder, inbox.put, overwrite=overwrite, max_size=cap, checksums=checksums)
        run.add(jobs)
        while run.outstanding or not inbox.empty():
            event = self.clock.take(inbox, 0.1, busy=True)
            if event is not None and progress is not None:
                progress(event)
        return run.finish([o for o in outcomes if isinstance(o, JobctlError)])

    def _download_run(
        self,
        folder: Path,
        emit: Callable[[DownloadEvent], None],
        *,
        overwrite: bool,
        max_size: int,
        checksums: bool = False,
    ) -> DownloadRun:
        from jobctl._download.engine import credentials_from, make_session
        from jobctl._download.run import DownloadRun

        return DownloadRun(
            folder,
            credentials_from(self.config.settings_for),
            emit,
            overwrite=overwrite,
            max_size=max_size,
            checksums=checksums,
            log=self._log,
            session=make_session(self.backoff, self.clock),
            journal=self.journal,
            words=self.wording,
        )

    # --- showing -----------------------------------------------------------------

    def gallery(
        self,
        jobs: Shown | Iterable[Shown],
        path: str | os.PathLike[str] = DEFAULT_PAGE,
        *,
        offline: bool = False,
        downloads: DownloadResult | Iterable[Saved] | None = None,
    ) -> Path:
        """Write one self-contained HTML page of jobs and their outputs: a card per job
        (status, kind, times, error, results, expiry) with its images as thumbnails, its
        videos and audio as players and any other file as a link, newest job first, with
        a summary and filters by status and provider. Nothing in it loads from the
        network but the outputs themselves, and nothing a provider sent can run in it.

        Args:
            jobs: refs (fetched now, several at a time), ``Job`` objects, or the
                ``JobctlError`` of a ref that could not be read (``get_many``'s outcomes
                as they are); each error gets a card that shows it.
            path: the HTML file to write (its folders are created if missing).
            offline: take refs' last known state from this client's journal instead of
                asking the providers; a ref the journal does not hold gets an error card.
            downloads: files downloaded for these jobs (a ``DownloadResult``, or its
                ``saved``), shown from their paths relative to the page's folder instead of
                their URLs; so are the files the client's journal knows of.

        Returns:
            The page's absolute path.

        Raises:
            UsageError: ``path`` cannot be written (checked before anything is fetched),
                or ``offline`` without a journal.

        Example::

            outcomes = client.get_many(["krea:a", "creatify:b"])
            page = client.gallery(outcomes, "out/gallery.html")
            print(page.as_uri())
        """
        from jobctl._gallery import Card, local_files, page_path, render, write_page

        target = page_path(path, self.env)
        book = self.journal
        if offline and book is None:
            raise UsageError("offline=True reads the job journal; this client has none (Client(journal=...))")
        # One ref, job or error, or several (a tuple is several, as for every method here).
        one = isinstance(jobs, (str, Ref, Job, JobctlError))
        items: list[Shown] = [cast(Shown, jobs)] if one else list(cast("Iterable[Shown]", jobs))
        shown: list[Job | JobctlError | Ref] = []
        for item in items:
            if isinstance(item, (Job, JobctlError)):
                shown.append(item)
                continue
            try:
                shown.append(self.ref(item))
            except UsageError as exc:
                shown.append(exc)
        refs = list(dict.fromkeys(r for r in shown if isinstance(r, Ref)))
        if book is not None and offline:
            outcomes: list[Outcome] = list(book.last_known(refs))
        else:
            outcomes = self._fetch_all(refs)
            if book is not None:
                book.record(o for o in outcomes if isinstance(o, Job))
        found = dict(zip(refs, outcomes, strict=True))
        cards = [Card.of(found[i] if isinstance(i, Ref) else i) for i in dict.fromkeys(shown)]
        rows: list[tuple[str, str, str, str | os.PathLike[str]]] = []
        if book is not None:
            for (provider, job_id), files in book.downloads().items():
                rows += [(provider, job_id, str(f["url"]), str(f["path"])) for f in files]
        saved = cast("Iterable[Saved]", getattr(downloads, "saved", downloads) or ())
        rows += [(s.target.provider, s.target.job_id, s.target.url, s.path) for s in saved]
        written = datetime.fromtimestamp(self.clock.time(), timezone.utc)
        page = render(cards, target.parent, local_files(rows, target.parent), written)
        write_page(target, self.redactor(page))  # a provider that echoes a key shows no key
        return target

    # --- lifetime ----------------------------------------------------------------

    def close(self) -> None:
        """Close the provider sessions (a ``with Client(...)`` block does it at its end)."""
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


def get(ref: RefLike, job_id: str | int | None = None) -> Job:
    """One job as it is now, with the default ``Client()``: see ``Client.get``.

    Example::

        job = jobctl.get("krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20")
    """
    return default_client().get(ref, job_id)


def get_many(refs: Iterable[RefLike]) -> list[Outcome]:
    """A ``Job`` or the error for each ref, in order, with the default ``Client()``: see
    ``Client.get_many``."""
    return default_client().get_many(refs)


def watch(
    refs: Refs,
    *,
    timeout: float | None = None,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = MAX_INTERVAL,
) -> Watch:
    """Follow jobs until every one is done, with the default ``Client()``: iterate the
    result for events (see ``Client.watch``).

    Example::

        for event in jobctl.watch(["krea:a", "gepetto:b"]):
            if isinstance(event, jobctl.JobChanged):
                print(event.job.id, event.job.status)
    """
    return default_client().watch(refs, timeout=timeout, interval=interval, max_interval=max_interval)


def wait(
    refs: Refs,
    *,
    timeout: float | None = None,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = MAX_INTERVAL,
) -> list[Job]:
    """Every job in its final state once all are done, with the default ``Client()``: see
    ``Client.wait``.

    Example::

        jobs = jobctl.wait(["krea:a", "aisquare:42"], timeout=600)
    """
    return default_client().wait(refs, timeout=timeout, interval=interval, max_interval=max_interval)


def download(
    refs: Refs,
    dir: str | os.PathLike[str] = ".",
    *,
    overwrite: bool = False,
    max_size: int | str = DEFAULT_MAX_SIZE,
    checksums: bool = False,
    progress: Progress | None = None,
) -> DownloadResult:
    """Each succeeded job's files into ``dir``, with the default ``Client()``: see
    ``Client.download``.

    Example::

        result = jobctl.download("krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20", dir="out")
        print(result.files, result.failures)
    """
    return default_client().download(
        refs, dir, overwrite=overwrite, max_size=max_size, checksums=checksums, progress=progress
    )


def gallery(
    jobs: Shown | Iterable[Shown],
    path: str | os.PathLike[str] = DEFAULT_PAGE,
    *,
    downloads: DownloadResult | Iterable[Saved] | None = None,
) -> Path:
    """Write one self-contained HTML page of jobs and their outputs, with the default
    ``Client()``: see ``Client.gallery``. Returns the page's absolute path.

    Example::

        result = jobctl.download(["krea:a", "creatify:b"], dir="out")
        page = jobctl.gallery(["krea:a", "creatify:b"], "out/gallery.html", downloads=result)
    """
    return default_client().gallery(jobs, path, downloads=downloads)


__all__ = ["Client", "default_client", "download", "gallery", "get", "get_many", "wait", "watch"]
