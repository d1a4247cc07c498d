"""Find, read and validate the YAML profile file; resolve a provider's settings.

Resolution: ``--config`` > ``$JOBCTL_CONFIG`` > ``<app dir>/config.yaml``;
profile: ``--profile`` > ``$JOBCTL_PROFILE`` > ``default_profile`` > ``default``.
Credentials: the profile entry (``${VAR}`` expanded) > ``$<PROVIDER>_<FIELD>``.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from jobctl.errors import ConfigError
from jobctl.options import OPTIONS, is_token, string_problem, type_name
from jobctl.providers import PROVIDERS, Provider
from jobctl.providers.registry import Registry, log_warning
from jobctl.redaction import Redactor, url_secrets

DEFAULT_TIMEOUT = 30.0
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TOP_KEYS = ("default_profile", "profiles", "providers")


def default_config_path() -> Path:
    import typer

    return Path(typer.get_app_dir("jobctl")) / "config.yaml"


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` when a valid word is close, else ''."""
    import difflib  # only when something is misspelt

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        import ipaddress  # only for http:// base URLs

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """What keeps jobctl from sending to ``url``: ``"invalid"``, ``"scheme"`` (not an
    http(s) URL with a host), ``"http"`` (http:// to a host that is not loopback), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "invalid"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "scheme"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "http"
    return None


def check_base_url(url: str) -> str | None:
    """Why ``url`` cannot be a base URL, or None when it can."""
    problem = url_problem(url)
    if problem:
        return {
            "invalid": "is not a valid URL",
            "scheme": "must look like https://host[:port][/prefix]",
            "http": "uses http:// for a host that is not loopback; use https://",
        }[problem]
    parts = urlsplit(url)
    if parts.query or parts.fragment or parts.username or parts.password:
        return "must not carry a query, fragment or user:password"
    return None


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

        return _VAR.sub(substitute, value)

    def entry(self, name: str) -> dict[str, Any] | None:
        """The profile's checked entry for ``name``; a plugin's is checked on first use."""
        if (self.profile, name) in self.unchecked:
            warnings: list[str] = []
            where = f"profiles.{self.profile}.{name}"
            self.entries[name] = _validate_entry(
                self.path, where, self.registry.get(name), self.entries[name], warnings
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
        names = _VAR.findall(str(self.entries.get(name, {}).get(key, "")))
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
            hint = f" (profiles in the file: {', '.join(self.profiles)}; choose one with --profile)"
        return (
            f"{provider.name}: no {cred} in profile '{self.profile}' of {self.path}{hint}; "
            f"set profiles.{self.profile}.{provider.name}.{cred} there or export {var}=..."
        )


def config_location(config_path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> tuple[Path, str]:
    """The file to read and why: ``--config`` > ``$JOBCTL_CONFIG`` > the app dir."""
    if config_path:
        return Path(config_path).expanduser(), "--config"
    if env.get("JOBCTL_CONFIG"):
        return Path(env["JOBCTL_CONFIG"]).expanduser(), "JOBCTL_CONFIG"
    return default_config_path(), "default"


def load_config(
    config_path: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> Config:
    """Find and validate the config file; no network, no credential checks yet."""
    env = dict(os.environ if env is None else env)
    redactor = redactor or Redactor()
    path, path_source = config_location(config_path, env)
    warnings: list[str] = []
    data = _read(path, required=path_source != "default", warnings=warnings)
    exists = data is not None
    registry = _registry(path, data or {}, warnings)
    unchecked: set[tuple[str, str]] = set()
    profiles = _validate(path, data or {}, warnings, registry, unchecked, redactor)
    registry.warn = log_warning  # later lookups happen after these warnings are shown

    default_profile = (data or {}).get("default_profile")
    if profile:
        name, source = profile, "--profile"
    elif env.get("JOBCTL_PROFILE"):
        name, source = env["JOBCTL_PROFILE"], "JOBCTL_PROFILE"
    elif default_profile:
        name, source = str(default_profile), "default_profile"
    else:
        name, source = "default", "default"
    if source != "default" and name not in profiles:
        known = ", ".join(profiles) or "none"
        where = f"in {path}" if exists else f"(no config file at {path})"
        raise ConfigError(
            f"profile '{name}' (from {source}) is not defined {where}; "
            f"profiles: {known}{closest(name, list(profiles))}"
        )
    declared = [p for p in registry.declared.values() if isinstance(p, Provider)]
    for var in (p.env_var(c) for p in (*PROVIDERS.values(), *declared) for c in p.credentials):
        redactor.add(env.get(var))
    return Config(
        path, exists, path_source, name, source, profiles, env, warnings, redactor, registry, unchecked
    )


def inline_config(
    providers: Mapping[str, Any], env: Mapping[str, str] | None = None, redactor: Redactor | None = None
) -> Config:
    """A profile given as a mapping (``Client(providers=...)``), checked like a file's."""
    redactor = redactor or Redactor()
    where = Path("<providers=>")
    registry = Registry(config_path=where)
    unchecked: set[tuple[str, str]] = set()
    profiles = _validate(where, {"profiles": {"inline": dict(providers)}}, [], registry, unchecked, redactor)
    env = dict(os.environ if env is None else env)
    return Config(
        where, True, "providers=", "inline", "providers=", profiles, env, [], redactor, registry, unchecked
    )


def _registry(path: Path, data: dict[str, Any], warnings: list[str]) -> Registry:
    """The built-ins, plugins, and the file's ``providers:`` declarations (if any)."""
    if data.get("providers") is None:
        return Registry(config_path=path, warn=warnings.append)
    from jobctl.providers.declarative import read_declarations

    return Registry(read_declarations(path, data["providers"]), path, warn=warnings.append)


def _read(path: Path, *, required: bool, warnings: list[str]) -> dict[str, Any] | None:
    import yaml

    try:
        if path.is_dir():
            raise ConfigError(f"{path} is a directory, not a config file; point --config at a .yaml file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError(
                f"config file {path} does not exist; create it (see config.example.yaml) "
                "or fix --config / JOBCTL_CONFIG"
            ) from None
        return None
    except PermissionError:
        raise ConfigError(f"cannot read {path}: permission denied; fix its permissions (chmod 600)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc.__class__.__name__}; check the file") from None
    try:
        # The C loader when libyaml is there: a tenth of the pure-Python parse time.
        data = yaml.load(text, Loader=strict_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError:
        _raise_yaml_error(path, text)
    if data is None:
        raise ConfigError(
            f"{path} is empty; add a 'profiles:' mapping (see config.example.yaml) "
            "or delete the file to use environment variables"
        )
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping with 'profiles:', not a {type_name(data)}; "
            "see config.example.yaml"
        )
    _warn_if_exposed(path, data, warnings)
    return data


class _NoDuplicateKeys:
    """Loader mixin: a key written twice in one mapping is an error, not a silent overwrite."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        from yaml.constructor import ConstructorError

        loader: Any = self
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag in ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"):
                continue  # '<<: *base' then an override is how merges are meant to work
            key = loader.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: the constructor itself reports it
                continue
            if first is not key_node.start_mark:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {str(key)[:60]!r} "
                    f"(first at line {first.line + 1}, column {first.column + 1})",
                    key_node.start_mark,
                )
        parent: Any = super()
        return parent.construct_mapping(node, deep)


@functools.cache
def strict_loader(base: type[Any]) -> type[Any]:
    """``base`` (the C or the pure-Python safe loader) refusing duplicate keys."""
    return type(f"Strict{base.__name__}", (_NoDuplicateKeys, base), {})


def _raise_yaml_error(path: Path, text: str) -> NoReturn:
    """Re-parse with the pure-Python loader, whose messages name the culprit."""
    import yaml

    try:
        yaml.load(text, Loader=strict_loader(yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}{at}: {problem}; fix the YAML (see config.example.yaml)") from None
    raise ConfigError(f"{path}: invalid YAML; fix it (see config.example.yaml)")


def _validate(
    path: Path,
    data: dict[str, Any],
    warnings: list[str],
    registry: Registry,
    unchecked: set[tuple[str, str]],
    redactor: Redactor,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Check every level's types; unknown names warn, wrong types stop (exit 2).

    An entry for a plugin's provider is checked when the plugin is loaded (settings_for),
    so a profile naming one costs a look at the entry points, never an import.
    """
    for key in data:
        if key not in _TOP_KEYS:
            warnings.append(f"{path}: unknown top-level key '{key}' ignored{closest(str(key), _TOP_KEYS)}")
    default_profile = data.get("default_profile")
    if default_profile is not None and not isinstance(default_profile, str):
        raise ConfigError(f"{path}: default_profile must be a profile name (a string)")
    raw_profiles = data.get("profiles") or {}
    if not isinstance(raw_profiles, dict):
        raise ConfigError(
            f"{path}: 'profiles' must be a mapping of profile names, not a {type_name(raw_profiles)}"
        )
    profiles: dict[str, dict[str, dict[str, Any]]] = {}
    for pname, entries in raw_profiles.items():
        where = f"profiles.{pname}"
        if entries is None:
            entries = {}
        if not isinstance(entries, dict):
            raise ConfigError(f"{path}: {where} must be a mapping of providers, not a {type_name(entries)}")
        profile: dict[str, dict[str, Any]] = {}
        for prov, entry in entries.items():
            provider = PROVIDERS.get(prov) or registry.declared.get(prov)
            if isinstance(provider, Provider):
                profile[prov] = _validate_entry(path, f"{where}.{prov}", provider, entry, warnings)
                literal = (profile[prov].get(c) for c in provider.credentials)
                redactor.add_all(v for v in literal if v and not _VAR.fullmatch(v))
                redactor.add_all(url_secrets(profile[prov].get("base_url") or ""))
            elif provider is not None:  # a broken declaration: its own error says why
                continue
            elif isinstance(prov, str) and registry.offers(prov):
                profile[prov] = _check_mapping(path, f"{where}.{prov}", entry)
                unchecked.add((str(pname), prov))
            else:
                hint = closest(str(prov), registry.local_names())
                warnings.append(f"{path}: unknown provider '{prov}' in {where} ignored{hint}")
        profiles[str(pname)] = profile
    return profiles


def _check_mapping(path: Path, where: str, entry: Any) -> dict[str, Any]:
    if entry is None:
        return {}
    if not isinstance(entry, dict):
        what = type_name(entry)
        raise ConfigError(f"{path}: {where} must be a mapping like {{api_key: ...}}, not a {what}")
    return entry


def _validate_entry(
    path: Path, where: str, provider: Provider, entry: Any, warnings: list[str]
) -> dict[str, Any]:
    entry = _check_mapping(path, where, entry)
    allowed = (*provider.credentials, *provider.options)
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key not in allowed:
            warnings.append(f"{path}: unknown key '{key}' in {where} ignored{closest(str(key), allowed)}")
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


def literal_secrets(data: dict[str, Any]) -> bool:
    """True when the file holds a credential value itself rather than a ${VAR}."""
    profiles = data.get("profiles")
    if not isinstance(profiles, dict):
        return False
    for entries in profiles.values():
        for prov, entry in (entries or {}).items() if isinstance(entries, dict) else ():
            # Declared and plugin providers are not known yet here; most use api_key.
            creds = PROVIDERS[prov].credentials if prov in PROVIDERS else Provider.credentials
            if isinstance(entry, dict):
                for cred in creds:
                    value = entry.get(cred)
                    if isinstance(value, str) and value and not _VAR.fullmatch(value.strip()):
                        return True
    return False


def _warn_if_exposed(path: Path, data: dict[str, Any], warnings: list[str]) -> None:
    if os.name != "posix" or not literal_secrets(data):
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.append(f"{path} holds API keys and is readable by other users; run: chmod 600 {path}")
