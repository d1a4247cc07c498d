"""Find, read and validate the YAML profile file.

Resolution: ``--config`` > ``$JOBCTL_CONFIG`` > ``<app dir>/config.yaml``;
profile: ``--profile`` > ``$JOBCTL_PROFILE`` > ``default_profile`` > ``default``.
Credentials: the profile entry (``${VAR}`` expanded) > ``$<PROVIDER>_<FIELD>``.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from jobctl._dirs import config_dir as default_config_dir
from jobctl._dirs import expand_user
from jobctl._redaction import Redactor, url_secrets
from jobctl._rules import type_name
from jobctl._text import closest
from jobctl._wording import LIBRARY, Wording
from jobctl.config.settings import VAR, Config, check_mapping, validate_entry
from jobctl.errors import ConfigError
from jobctl.providers import PROVIDERS, Provider
from jobctl.providers.registry import Registry, log_warning

_TOP_KEYS = ("default_profile", "profiles", "providers")
# A config file is a few kilobytes: past this, a mistaken path (a log, a dump, /dev/zero)
# would cost minutes and gigabytes of parsing on every command.
MAX_CONFIG_BYTES = 1024 * 1024


def config_location(
    config_path: str | os.PathLike[str] | None,
    env: Mapping[str, str],
    config_dir: Path | None = None,
    words: Wording = LIBRARY,
) -> tuple[Path, str]:
    """The file to read and why: ``config=`` (``--config``) > ``$JOBCTL_CONFIG`` > the app dir."""
    if config_path:
        return expand_user(os.fspath(config_path), env), words.config
    if env.get("JOBCTL_CONFIG"):
        return expand_user(env["JOBCTL_CONFIG"], env), "JOBCTL_CONFIG"
    return (config_dir or default_config_dir(env)) / "config.yaml", "default"


def load_config(
    config_path: str | os.PathLike[str] | None,
    profile: str | None,
    env: Mapping[str, str],
    redactor: Redactor | None = None,
    *,
    config_dir: Path | None = None,
    words: Wording = LIBRARY,
) -> Config:
    """Find and validate the config file; no network, no credential checks yet.

    ``env``: the environment variables to resolve from; ``config_dir``: where the
    default file lives (default: the per-user config dir ``env`` implies); ``words``:
    how messages name ``config``/``profile`` (the command line's ``--config``...)."""
    env = dict(env)
    redactor = redactor or Redactor()
    path, path_source = config_location(config_path, env, config_dir, words)
    warnings: list[str] = []
    data = _read(path, required=path_source != "default", warnings=warnings, words=words)
    exists = data is not None
    registry = _registry(path, data or {}, warnings)
    unchecked: set[tuple[str, str]] = set()
    profiles = _validate(path, data or {}, warnings, registry, unchecked, redactor)
    registry.warn = log_warning  # later lookups happen after these warnings are shown

    default_profile = (data or {}).get("default_profile")
    if profile:
        name, source = profile, words.profile
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
        path, exists, path_source, name, source, profiles, env, warnings, redactor, registry, unchecked, words
    )


def inline_config(
    providers: Mapping[str, Any], env: Mapping[str, str], redactor: Redactor | None = None
) -> Config:
    """A profile given as a mapping (``Client(providers=...)``), checked like a file's,
    except that an unknown provider or key is an error, not a warning: there is no file
    to look at, and a typo (``api_kye``) would otherwise go unseen."""
    redactor = redactor or Redactor()
    where = Path("<providers=>")
    registry = Registry(config_path=where)
    unchecked: set[tuple[str, str]] = set()
    if not isinstance(providers, Mapping):
        raise ConfigError(f"providers must be a mapping of provider names, not a {type_name(providers)}")
    data = {"profiles": {"inline": dict(providers)}}
    profiles = _validate(where, data, [], registry, unchecked, redactor, inline=True)
    env = dict(env)
    return Config(
        where, True, "providers=", "inline", "providers=", profiles, env, [], redactor, registry, unchecked
    )


def _registry(path: Path, data: dict[str, Any], warnings: list[str]) -> Registry:
    """The built-ins, plugins, and the file's ``providers:`` declarations (if any)."""
    if data.get("providers") is None:
        return Registry(config_path=path, warn=warnings.append)
    from jobctl.providers.declarative import read_declarations

    registry = Registry(config_path=path, warn=warnings.append)
    # What a declared provider says about an answer goes where the registry's warnings go
    # by then: the CLI's stderr, else the jobctl logger.
    registry.declared = read_declarations(path, data["providers"], lambda message: registry.warn(message))
    return registry


def _read(
    path: Path, *, required: bool, warnings: list[str], words: Wording = LIBRARY
) -> dict[str, Any] | None:
    import yaml

    try:
        if path.is_dir():
            raise ConfigError(
                f"{path} is a directory, not a config file; point {words.config} at a .yaml file"
            )
        text = read_config_text(path)
    except FileNotFoundError:
        if required:
            raise ConfigError(
                f"config file {path} does not exist; create it (see config.example.yaml) "
                f"or fix {words.config} / JOBCTL_CONFIG"
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


def read_config_text(path: Path) -> str:
    """The file's text, read no further than ``MAX_CONFIG_BYTES``: a larger one is a
    ConfigError before anything is parsed. Raises OSError and UnicodeDecodeError."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            from jobctl._units import format_size

            size = os.fstat(fh.fileno()).st_size  # 0 for a device or a pipe
            shown = f" ({format_size(size)})" if size > MAX_CONFIG_BYTES else ""
            raise ConfigError(
                f"{path} is larger than 1 MiB{shown}; not read: a config file is a few kilobytes "
                "of YAML (is --config or JOBCTL_CONFIG pointing at the right file?)"
            )
    return data.decode("utf-8")


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
    *,
    inline: bool = False,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Check every level's types; unknown names warn, wrong types stop (exit 2).

    An entry for a plugin's provider is checked when the plugin is loaded (settings_for),
    so a profile naming one costs a look at the entry points, never an import.
    ``inline``: ``Client(providers=...)``, where an unknown name stops too.
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
                profile[prov] = validate_entry(
                    path, f"{where}.{prov}", provider, entry, warnings, inline=inline
                )
                literal = (profile[prov].get(c) for c in provider.credentials)
                redactor.add_all(v for v in literal if v and not VAR.fullmatch(v))
                redactor.add_all(url_secrets(profile[prov].get("base_url") or ""))
            elif provider is not None:  # a broken declaration: its own error says why
                continue
            elif isinstance(prov, str) and registry.offers(prov):
                profile[prov] = check_mapping(path, f"{where}.{prov}", entry)
                unchecked.add((str(pname), prov))
            else:
                hint = closest(str(prov), registry.local_names())
                if inline:
                    raise ConfigError(f"providers: unknown provider '{prov}'{hint}")
                warnings.append(f"{path}: unknown provider '{prov}' in {where} ignored{hint}")
        profiles[str(pname)] = profile
    return profiles


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
                    if isinstance(value, str) and value and not VAR.fullmatch(value.strip()):
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
