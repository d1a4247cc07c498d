"""What a provider knows beyond one job id: its list of the account's recent jobs,
pages followed up to a limit (bounded, and never off the provider's origin), and the
rules a list or a cancel must pass before anything is sent.

Only documented endpoints are used (``Provider.list_endpoint``/``cancel_endpoint``);
a provider without one is named in one line and nothing is sent to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin

from jobctl._text import closest
from jobctl._wording import LIBRARY, Wording
from jobctl.errors import ConfigError, JobctlError, PayloadError, ProviderError, UsageError
from jobctl.model import Job, Status

if TYPE_CHECKING:
    from jobctl._http import ProviderClient
    from jobctl.config import Config
    from jobctl.providers.base import Provider

MAX_LIMIT = 1000  # jobs per provider: Krea's own page limit, and plenty for a terminal
MAX_PAGES = 20  # pages per provider: a list that pages on past this is cut, not followed for ever
STATUS_WORDS = tuple(s.value for s in Status)
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


def list_status(word: str | Status | None, words: Wording = LIBRARY) -> Status | None:
    """The status to list: one of the normalized words, or a UsageError naming them."""
    if word is None or isinstance(word, Status):
        return word
    try:
        return Status(word.strip().lower())
    except ValueError:
        raise UsageError(
            f"{words.status} {word!r} is not a status{closest(word.strip().lower(), STATUS_WORDS)}; "
            f"use one of {', '.join(STATUS_WORDS)}"
        ) from None


def list_limit(limit: int, words: Wording = LIBRARY) -> int:
    """1 to MAX_LIMIT jobs per provider, or a UsageError."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"{words.limit} must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}")
    return limit


def cannot(provider: Provider, what: str, outcome: str = "nothing was sent") -> UsageError:
    """The one line for a provider whose API documents no way to ``what`` (nothing is sent)."""
    return UsageError(f"{provider.name}: {provider.title} documents no way to {what}; {outcome}")


def lister(provider: Provider) -> Provider:
    if provider.list_endpoint is None:
        raise cannot(provider, "list jobs")
    return provider


def canceller(provider: Provider) -> Provider:
    if provider.cancel_endpoint is None:
        raise cannot(provider, "cancel a job")
    return provider


def listing_providers(cfg: Config) -> list[str]:
    """The providers ``ls --remote`` asks when none is named: every one this profile (or
    the environment) configures whose API can list. Nothing is sent to find out."""
    found = []
    for name in dict.fromkeys([*cfg.entries, *cfg.registry.local_names()]):
        provider = cfg.registry.find(name)
        if provider is None or provider.list_endpoint is None:
            continue
        try:
            cfg.settings_for(name)
        except ConfigError:
            continue
        found.append(name)
    return found


def newest_first(jobs: Iterable[Job]) -> list[Job]:
    """Jobs by creation time, newest first; those without one last, in the order given."""
    return sorted(jobs, key=lambda job: job.created_at or _OLDEST, reverse=True)


def list_jobs(client: ProviderClient, provider: Provider, status: Status | None, limit: int) -> list[Job]:
    """Up to ``limit`` of ``provider``'s recent jobs (with ``status``), newest first.

    The provider filters where exactly one of its words means ``status``; jobctl
    filters too, always. Pages are followed until ``limit`` jobs are found, the list
    ends, a page repeats, or MAX_PAGES were read. A ``next`` URL must stay on the
    provider's origin.
    """
    endpoint = lister(provider).list_endpoint
    assert endpoint is not None
    word = provider.filter_word(status) if status is not None else None
    base = client.settings.base_url
    target, params = endpoint.path, provider.list_params(word, limit, None)
    url = base + target
    seen: set[str] = set()
    found: dict[str, Job] = {}  # by id: a job that moved to the next page while paging shows once
    read = 0
    for _ in range(MAX_PAGES):
        body = client.request("GET", target, ref=provider.name, params=params, expect="json", action="list")
        items, after = provider.read_list(body)
        for item in items:
            read += 1
            job = _read_item(provider, item, read)
            if status is None or job.status is status:
                found.setdefault(job.id, job)
        if len(found) >= limit or not items or after is None or after in seen:
            break
        seen.add(after)
        if "://" in after:  # a URL (Replicate's `next`); anything else is a cursor
            url = urljoin(url, after)
            _check_next(client, provider, url)
            target, params = url, {}
        else:
            params = provider.list_params(word, limit, after)
    return newest_first(found.values())[:limit]


def _read_item(provider: Provider, item: object, n: int) -> Job:
    job_id = provider.listed_id(item, n)  # checks that the item is an object
    try:
        return provider.normalize(job_id, cast("Mapping[str, Any]", item))
    except JobctlError:
        raise
    except Exception as exc:  # a shape nobody foresaw must not crash the run
        raise PayloadError(
            f"{provider.name}:{job_id}: could not read the listed job ({type(exc).__name__})"
        ) from exc


def _check_next(client: ProviderClient, provider: Provider, url: str) -> None:
    from jobctl._http import origin_of, origin_text, shown_url

    if origin_of(url) != client.credentials.origin:
        raise ProviderError(
            f"{provider.name}: the list's next page is at {shown_url(url)}, not on the provider's "
            f"origin {origin_text(client.settings.base_url)}; not followed"
        )
