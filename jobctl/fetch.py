"""Fetch and normalize jobs: one client per provider, many refs concurrently."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from jobctl.config import Config
from jobctl.errors import JobctlError, UpstreamError
from jobctl.model import Job
from jobctl.providers import PROVIDERS
from jobctl.refs import Ref

if TYPE_CHECKING:
    from jobctl.http import Client, DebugLog

Outcome = Job | JobctlError


class Fetcher:
    """Owns the per-provider clients for one command run."""

    def __init__(self, config: Config, log: DebugLog | None = None) -> None:
        self.config = config
        self.log = log
        self.patient = True  # watch sets False: a rate limit pauses its schedule, no thread waits
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()

    def client(self, provider: str) -> Client:
        with self._lock:
            if provider not in self._clients:
                from jobctl.http import Client

                self._clients[provider] = Client(self.config.settings_for(provider), self.log, self.patient)
            return self._clients[provider]

    def fetch(self, ref: Ref) -> Job:
        payload = self.client(ref.provider).get_payload(ref.id)
        try:
            return PROVIDERS[ref.provider].normalize(ref.id, payload)
        except JobctlError:
            raise
        except Exception as exc:  # a payload shape nobody foresaw must not crash the run
            raise UpstreamError(f"{ref}: could not read the job payload ({type(exc).__name__})") from exc

    def fetch_one(self, ref: Ref) -> Outcome:
        try:
            return self.fetch(ref)
        except JobctlError as exc:
            return exc

    def fetch_all(self, refs: Sequence[Ref]) -> list[Outcome]:
        """Every ref is tried, up to 8 at a time per provider; results in input order.

        Daemon threads rather than an executor, so Ctrl-C never waits for a slow host.
        """
        from jobctl.http import POOL_SIZE

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

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
