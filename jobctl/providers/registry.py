"""Which providers a run knows: the built-ins, the config file's declarations, and
plugins (entry-point group ``jobctl.providers``), looked for only when asked.

A name that is built in never touches the installed packages' metadata, so
``jobctl get krea ...`` pays nothing for plugins; listing providers loads them all.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobctl._rules import check_base_url
from jobctl._text import closest
from jobctl.errors import ConfigError, UsageError
from jobctl.providers import PROVIDERS
from jobctl.providers.base import Provider

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "jobctl.providers"
BUILT_IN = "built-in"
# A name is typed in refs (``name:id``) and becomes ``<NAME>_API_KEY``: keep it plain.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NAME_RULE = "lower-case letters, digits and '_', starting with a letter (at most 40)"

PATH_RULE = "must start with '/' and hold '{id}' once, with no other braces, '#' or spaces"
DOT_SEGMENT_RULE = (
    "must not hold a '.' or '..' segment, plain or percent-encoded (%2e%2e): it would send "
    "the request to another path than the one jobctl shows"
)

Warn = Callable[[str], None]


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a provider's job path, or None when it can."""
    from urllib.parse import unquote

    rest = path.replace("{id}", "", 1)
    if not path.startswith("/") or "{id}" not in path or any(c in rest for c in "{}# \t\n"):
        return PATH_RULE
    # HTTP clients resolve dot segments before sending (and many servers decode %2e first):
    # the request would leave the path --debug prints.
    if any(unquote(segment) in (".", "..") for segment in path.partition("?")[0].split("/")):
        return DOT_SEGMENT_RULE
    return None


def good_path(path: str) -> bool:
    return path_problem(path) is None


def log_warning(message: str) -> None:
    """Where a registry's warnings go when no command gave it a sink: the jobctl logger."""
    import logging

    logging.getLogger("jobctl").warning(message)


def provider_problems(provider: Provider) -> list[str]:
    """What keeps ``provider`` from working, in words a provider author can act on."""
    cls = type(provider)
    problems = [
        f"does not declare {attr}"
        for attr in ("name", "title", "docs_url", "default_base_url", "path", "statuses")
        if not isinstance(getattr(cls, attr, None), Mapping if attr == "statuses" else str)
    ]
    if problems:
        return problems
    if not NAME.fullmatch(provider.name):
        problems.append(f"name '{provider.name}' must be {NAME_RULE}")
    url_problem = check_base_url(provider.default_base_url)
    if url_problem:
        problems.append(f"default_base_url {provider.default_base_url!r} {url_problem}")
    path_rule = path_problem(provider.path)
    if path_rule:
        problems.append(f"path {provider.path!r} {path_rule}")
    if not provider.statuses or not all(
        isinstance(word, str) and _is_status(meaning) for word, meaning in provider.statuses.items()
    ):
        problems.append(
            "statuses must map the provider's words to jobctl.Status members "
            "or the words queued, running, succeeded, failed, cancelled"
        )
    problems += endpoint_problems(provider)
    if not provider.credentials or not all(isinstance(c, str) and c for c in provider.credentials):
        problems.append("credentials must be a tuple of profile field names, like ('api_key',)")
    if not callable(getattr(provider.auth, "headers", None)):
        problems.append("auth must be an auth style such as BearerAuth() or HeaderAuth(...)")
    if cls.normalize is Provider.normalize:
        problems.append("does not implement normalize(job_id, body)")
    return problems


def usable(names: Iterable[str]) -> list[str]:
    """The names a ref can use: a declaration or entry point called ``My Render`` is
    reported as such (config check, providers), never offered or suggested."""
    return [n for n in names if NAME.fullmatch(n)]


def _is_status(meaning: object) -> bool:
    from jobctl.model import Status

    return isinstance(meaning, Status) or (
        isinstance(meaning, str) and meaning in {s.value for s in Status if s is not Status.UNKNOWN}
    )


CANCEL_METHODS = ("POST", "DELETE", "PUT", "PATCH")
LIST_PATH_RULE = "must start with '/' and hold no braces, '?', '#', spaces or '.' or '..' segments"


def good_list_path(path: object) -> bool:
    """A list path: no id, no query, and, as every path, no dot segment (see path_problem)."""
    if not isinstance(path, str) or not path.startswith("/") or any(c in path for c in "{}?# \t\n"):
        return False
    return path_problem(path.rstrip("/") + "/{id}") is None


def endpoint_problems(provider: Provider) -> list[str]:
    """What is wrong with a provider's list and cancel declarations, if it has them."""
    from jobctl.providers.base import CancelEndpoint, ListEndpoint

    problems = []
    listing, cancel = provider.list_endpoint, provider.cancel_endpoint
    if listing is not None and not isinstance(listing, ListEndpoint):
        problems.append("list_endpoint must be a ListEndpoint(path, ...) or None")
    elif listing is not None and not good_list_path(listing.path):
        problems.append(f"list_endpoint path {listing.path!r} {LIST_PATH_RULE}")
    if cancel is not None and not isinstance(cancel, CancelEndpoint):
        problems.append("cancel_endpoint must be a CancelEndpoint(method, path) or None")
    elif cancel is not None and (cancel.method not in CANCEL_METHODS or not good_path(cancel.path)):
        problems.append(
            f"cancel_endpoint needs a method of {', '.join(CANCEL_METHODS)} and a path "
            "that starts with '/' and holds '{id}' once"
        )
    return problems


def unknown_provider(name: str, known: list[str]) -> UsageError:
    known = usable(known)
    return UsageError(f"unknown provider '{name}'{closest(name, known)}; supported: {', '.join(known)}")


class Registry:
    """Answers ``get(name)``, ``names()`` and ``source(name)`` for one configuration.

    ``declared`` holds the config file's providers, or the ConfigError that says why
    one cannot be used; a broken declaration stops only the refs that name it.
    """

    def __init__(
        self,
        declared: Mapping[str, Provider | ConfigError] | None = None,
        config_path: Path | None = None,
        warn: Warn = log_warning,
    ) -> None:
        self.declared = dict(declared or {})
        self.config_path = config_path
        self.warn = warn
        self._plugins: dict[str, tuple[Provider, str]] = {}  # name -> (provider, distribution)
        self._tried: set[str] = set()  # names whose entry points were looked at
        self._entry_points: list[EntryPoint] | None = None
        self._lock = threading.RLock()  # fetch threads may ask for a plugin at once

    # --- asking ---------------------------------------------------------------------

    def find(self, name: str) -> Provider | None:
        """The usable provider called ``name``, or None (unknown or broken)."""
        provider = PROVIDERS.get(name)
        if provider is not None:
            return provider
        if name in self.declared:
            found = self.declared[name]
            return found if isinstance(found, Provider) else None
        self._load_plugins([name])
        plugin = self._plugins.get(name)
        return plugin[0] if plugin else None

    def get(self, name: str) -> Provider:
        """The provider called ``name``; a UsageError (exit 2) saying why not."""
        found = self.declared.get(name) if name not in PROVIDERS else None
        if isinstance(found, ConfigError):
            raise found
        provider = self.find(name)
        if provider is None:
            raise unknown_provider(name, self.names())
        return provider

    def __contains__(self, name: object) -> bool:
        """Whether refs may name it: a broken declaration counts, so its error is shown."""
        return isinstance(name, str) and (name in self.declared or self.find(name) is not None)

    def offers(self, name: str) -> bool:
        """Known without importing any plugin: built in, declared, or an entry point's name."""
        return name in PROVIDERS or name in self.declared or any(e.name == name for e in self._listed())

    def names(self) -> list[str]:
        """Every provider: built-ins, then the config file's, then plugins (all loaded)."""
        self._load_plugins(sorted({e.name for e in self._listed()}))
        return list(dict.fromkeys([*PROVIDERS, *self.declared, *self._plugins]))

    def offered_names(self) -> list[str]:
        """Every name refs may use, plugins by their entry point (none imported): for completion."""
        return usable(dict.fromkeys([*PROVIDERS, *self.declared, *(e.name for e in self._listed())]))

    def local_names(self) -> list[str]:
        """Built-ins and declarations: what suggestions may offer without loading plugins."""
        return usable(dict.fromkeys([*PROVIDERS, *self.declared]))

    def source(self, name: str) -> str:
        """``built-in``, ``plugin <distribution>`` or the config file's path."""
        if name in PROVIDERS:
            return BUILT_IN
        if name in self.declared:
            return str(self.config_path)
        self.find(name)
        if name in self._plugins:
            return f"plugin {self._plugins[name][1]}"
        raise KeyError(name)

    def problem(self, name: str) -> ConfigError | None:
        found = self.declared.get(name)
        return found if isinstance(found, ConfigError) else None

    def problems(self) -> list[ConfigError]:
        """Why each broken declaration cannot be used (``config check`` reports them)."""
        return [found for found in self.declared.values() if isinstance(found, ConfigError)]

    # --- plugins --------------------------------------------------------------------

    def _listed(self) -> list[EntryPoint]:
        with self._lock:
            return self._list_entry_points()

    def _list_entry_points(self) -> list[EntryPoint]:
        if self._entry_points is None:
            try:
                from importlib.metadata import entry_points

                self._entry_points = list(entry_points(group=GROUP))
            except Exception as exc:  # damaged package metadata must not stop the built-ins
                self.warn(f"cannot list installed plugins ({type(exc).__name__}); using the others")
                self._entry_points = []
        return self._entry_points

    def _load_plugins(self, names: Iterable[str]) -> None:
        with self._lock:
            todo = [n for n in names if n not in self._tried]
            for ep in self._listed() if todo else ():
                if ep.name in todo:
                    self._admit(ep)
            self._tried.update(todo)

    def _admit(self, ep: EntryPoint) -> None:
        dist = _distribution(ep)
        label = f"plugin '{ep.name}' from {dist}"
        if ep.name in PROVIDERS:
            return self.warn(f"{label} ignored: '{ep.name}' is a built-in provider")
        if ep.name in self.declared:
            return self.warn(f"{label} ignored: {self.config_path} declares '{ep.name}' itself")
        if ep.name in self._plugins:
            return self.warn(f"{label} ignored: {self._plugins[ep.name][1]} provides '{ep.name}' already")
        try:
            provider = _instantiate(ep.load())
            problems = [provider] if isinstance(provider, str) else provider_problems(provider)
        except Exception as exc:  # any failure in someone else's code costs one line, no more
            said = " ".join(str(exc).split())[:200]
            return self.warn(f"{label} failed to load ({type(exc).__name__}{': ' + said if said else ''})")
        if isinstance(provider, str):
            return self.warn(f"{label} ignored: {provider}")
        if not problems and provider.name != ep.name:
            problems = [f"its class is named '{provider.name}', not '{ep.name}'"]
        if problems:
            return self.warn(f"{label} ignored: {'; '.join(problems)}")
        self._plugins[ep.name] = (provider, dist)
        return None


def _instantiate(obj: Any) -> Provider | str:
    """A provider from an entry point's object, or why there is none."""
    if not (isinstance(obj, type) and issubclass(obj, Provider)):
        return f"{getattr(obj, '__name__', type(obj).__name__)} is not a jobctl.Provider subclass"
    return obj()


def _distribution(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) if dist is not None else None
    return str(name) if name else ep.value.split(":")[0]
