"""A loaded configuration: the profile in force, and each provider's settings resolved
from it (credentials from the entry or the environment, checked; never printed)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobctl._redaction import Redactor, url_secrets
from jobctl._rules import check_base_url, is_token, string_problem, type_name
from jobctl._text import closest
from jobctl._wording import LIBRARY, Wording
from jobctl.errors import ConfigError
from jobctl.providers import Provider
from jobctl.providers.profile_keys import OPTIONS
from jobctl.providers.registry import Registry

DEFAULT_TIMEOUT = 30.0
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def check_credential(value: str) -> str | None:
    """Why ``value`` cannot travel in an HTTP header as a credential, or None.

    The answer names the kind of character and where it sits, never the value.
    """
    if value != value.rstrip("\r\n"):
        return (
            "ends with a line break; remove the trailing \\r or \\n "
            "(was it copied from a file with Windows line endings?)"
        )
    for at, ch in enumerate(value, 1):
        if ch.isspace():
            return f"contains whitespace at character {at}; a key is one word, copy it again"
        if not ch.isprintable():
            return (
                f"contains an invisible or control character (U+{ord(ch):04X}) at character {at}, "
                "which an HTTP header cannot carry; copy it again"
            )
        if ord(ch) > 0xFF:
            return (
                f"contains a character outside Latin-1 at character {at}, "
                "which an HTTP header cannot carry; copy it again"
            )
    return None


@dataclass(frozen=True)
class ProviderSettings:
    """Everything needed to talk to one provider; ``creds`` hold secrets."""

    provider: Provider
    base_url: str
    timeout: float
    creds: Mapping[str, str] = field(repr=False)
    max_rps: float | None = None
    max_rpm: float | None = None


@dataclass
class Config:
    path: Path
    exists: bool
    path_source: str
    profile: str
    profile_source: str
    profiles: dict[str, dict[str, dict[str, Any]]]
    env: Mapping[str, str]
    warnings: list[str] = field(default_factory=list)
    # Every secret this config resolves is added here, so whoever prints can scrub it.
    redactor: Redactor = field(default_factory=Redactor, repr=False)
    registry: Registry = field(default_factory=Registry)
    # Entries for plugin providers, checked once the plugin is loaded: (profile, name).
    unchecked: set[tuple[str, str]] = field(default_factory=set)
    # How messages name the profile option (``profile=``, or the command line's ``--profile``).
    words: Wording = LIBRARY

    @property
    def inline(self) -> bool:
        """Given as ``Client(providers=...)``, not read from a file."""
        return self.path_source == "providers="

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        return self.profiles.get(self.profile, {})

    def _expand(self, value: Any, key_path: str) -> Any:
        if not isinstance(value, str):
            return value

        def substitute(m: re.Match[str]) -> str:
            var = m.group(1)
            if var not in self.env:
                raise ConfigError(
                    f"{key_path} in {self.path} uses ${{{var}}}, which is not set; "
                    f"export {var}=... or write the value into the file"
                )
            return self.env[var]

        return VAR.sub(substitute, value)

    def entry(self, name: str) -> dict[str, Any] | None:
        """The profile's checked entry for ``name``; a plugin's is checked on first use."""
        if (self.profile, name) in self.unchecked:
            warnings: list[str] = []
            where = f"profiles.{self.profile}.{name}"
            self.entries[name] = validate_entry(
                self.path, where, self.registry.get(name), self.entries[name], warnings, inline=self.inline
            )
            self.unchecked.discard((self.profile, name))
            for message in warnings:
                self.registry.warn(message)
        return self.entries.get(name)

    def settings_for(self, name: str) -> ProviderSettings:
        """Resolve ``name``'s credentials and options, or say exactly what would fix it."""
        provider = self.registry.get(name)
        prefix = f"profiles.{self.profile}.{name}"
        entry = self.entry(name) or {}
        values = {k: self._expand(v, f"{prefix}.{k}") for k, v in entry.items()}
        creds: dict[str, str] = {}
        for cred in provider.credentials:
            value = values.get(cred) or self.env.get(provider.env_var(cred))
            if not value:
                raise ConfigError(self._missing(provider, cred))
            self.redactor.add(value)
            problem = check_credential(value)
            if problem:
                raise ConfigError(
                    f"{name}: {cred} from {self._origin(name, cred, bool(values.get(cred)))} {problem}"
                )
            creds[cred] = value
        scheme = values.get("auth_scheme")
        if scheme:
            if not is_token(scheme):
                raise ConfigError(
                    f"{name}: auth_scheme from {self._origin(name, 'auth_scheme', True)} must be one word "
                    "of letters, digits or !#$%&'*+-.^_`|~ (e.g. Bearer or Token)"
                )
            creds["auth_scheme"] = scheme
        base_url = values.get("base_url") or provider.default_base_url
        self.redactor.add_all(url_secrets(base_url))
        problem = check_base_url(base_url)
        if problem:
            raise ConfigError(f"{self.path}: {prefix}.base_url {problem}")
        return ProviderSettings(
            provider=provider,
            base_url=base_url.rstrip("/"),
            timeout=values.get("timeout") or DEFAULT_TIMEOUT,
            creds=creds,
            max_rps=values.get("max_rps"),
            max_rpm=values.get("max_rpm"),
        )

    def _origin(self, name: str, key: str, in_file: bool) -> str:
        """Where a value came from, as text safe to print: the file and key, or the variable."""
        if not in_file:
            return f"the environment variable {self.registry.get(name).env_var(key)}"
        where = f"profiles.{self.profile}.{name}.{key} in {self.path}"
        names = VAR.findall(str(self.entries.get(name, {}).get(key, "")))
        return where + (f" (via {', '.join('${' + n + '}' for n in names)})" if names else "")

    def _missing(self, provider: Provider, cred: str) -> str:
        var = provider.env_var(cred)
        if not self.exists:
            return (
                f"{provider.name}: no {cred}: {var} is not set and there is no config file at "
                f"{self.path} for profile '{self.profile}'; export {var}=... or create the file with "
                f"profiles.{self.profile}.{provider.name}.{cred} (see config.example.yaml)"
            )
        hint = ""
        if self.profile not in self.profiles and self.profiles:
            hint = (
                f" (profiles in the file: {', '.join(self.profiles)}; choose one with {self.words.profile})"
            )
        return (
            f"{provider.name}: no {cred} in profile '{self.profile}' of {self.path}{hint}; "
            f"set profiles.{self.profile}.{provider.name}.{cred} there or export {var}=..."
        )


def check_mapping(path: Path, where: str, entry: Any) -> dict[str, Any]:
    if entry is None:
        return {}
    if not isinstance(entry, dict):
        what = type_name(entry)
        raise ConfigError(f"{path}: {where} must be a mapping like {{api_key: ...}}, not a {what}")
    return entry


def validate_entry(
    path: Path, where: str, provider: Provider, entry: Any, warnings: list[str], *, inline: bool = False
) -> dict[str, Any]:
    """The entry's known keys, checked; an unknown key warns, or with ``inline``
    (``Client(providers=...)``) is a ConfigError naming it."""
    entry = check_mapping(path, where, entry)
    allowed = (*provider.credentials, *provider.options)
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key not in allowed:
            hint = closest(str(key), allowed)
            if inline:
                raise ConfigError(f"providers[{provider.name!r}]: unknown key '{key}'{hint}")
            warnings.append(f"{path}: unknown key '{key}' in {where} ignored{hint}")
            continue
        if value is None:
            continue
        if key in OPTIONS:
            value, problem = OPTIONS[key].check(value)
        else:  # a credential
            problem = string_problem(value)
        if problem:
            raise ConfigError(f"{path}: {where}.{key} {problem}")
        out[key] = value
    return out
