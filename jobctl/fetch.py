"""Fetch and normalize jobs: one client per provider, many refs concurrently."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from jobctl.config import Config
from jobctl.errors import JobctlError, UpstreamError
from jobctl.model import Job
from jobctl.providers import PROVIDERS
from jobctl.refs import Ref

if TYPE_CHECKING:
    from jobctl.http import Client, DebugLog

MAX_WORKERS = 32

Outcome = Job | JobctlError


class Fetcher:
    """Owns the per-provider clients for one command run."""

    def __init__(self, config: Config, log: DebugLog | None = None) -> None:
        self.config = config
        self.log = log
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()

    def client(self, provider: str) -> Client:
        with self._lock:
            if provider not in self._clients:
                from jobctl.http import Client

                self._clients[provider] = Client(self.config.settings_for(provider), self.log)
            return self._clients[provider]

    def fetch(self, ref: Ref) -> Job:
        payload = self.client(ref.provider).get_payload(ref.id)
        try:
            return PROVIDERS[ref.provider].normalize(ref.id, payload)
        except Exception as exc:  # a payload shape nobody foresaw must not crash the run
            raise UpstreamError(f"{ref}: could not read the job payload ({type(exc).__name__})") from exc

    def fetch_one(self, ref: Ref) -> Outcome:
        try:
            return self.fetch(ref)
        except JobctlError as exc:
            return exc

    def fetch_all(self, refs: Sequence[Ref]) -> list[Outcome]:
        """Every ref is tried; results come back in input order."""
        if len(refs) <= 1:
            return [self.fetch_one(r) for r in refs]
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(refs))) as pool:
            return list(pool.map(self.fetch_one, refs))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
