"""What `providers` and `config show` report: settings as resolved, never a secret."""

from __future__ import annotations

from typing import Any, NamedTuple

from jobctl._redaction import MASK, redact_url
from jobctl._rules import check_base_url, is_token
from jobctl.config.settings import Config
from jobctl.errors import ConfigError


def provider_rows(cfg: Config) -> list[dict[str, Any]]:
    rows = []
    for name in cfg.registry.names():
        provider = cfg.registry.find(name)
        if provider is None:  # a broken declaration: say why, in the row of its name
            rows.append(_broken_row(cfg, name))
            continue
        problem: str | None = None
        try:
            settings = cfg.settings_for(name)
            base_url, auth = settings.base_url, provider.auth.describe(settings.creds)
        except ConfigError as exc:
            problem = exc.message
            entry = cfg.entries.get(name) or {}
            base_url = str(entry.get("base_url") or provider.default_base_url)
            shown = {k: str(v) for k, v in entry.items() if k != "auth_scheme" or is_token(v)}
            auth = provider.auth.describe(shown)
        rows.append(
            {
                "name": name,
                "title": provider.title,
                "configured": problem is None,
                "base_url": redact_url(base_url),
                "auth": auth,
                "credentials": [provider.env_var(c) for c in provider.credentials],
                "docs": provider.docs_url,
                "problem": problem,
                "source": cfg.registry.source(name),
            }
        )
    return rows


def _broken_row(cfg: Config, name: str) -> dict[str, Any]:
    problem = cfg.registry.problem(name)
    return {
        "name": name,
        "title": name,
        "configured": False,
        "base_url": None,
        "auth": None,
        "credentials": [],
        "docs": None,
        "problem": problem.message if problem else "unknown provider",
        "source": cfg.registry.source(name),
    }


def _source(cfg: Config, name: str, field: str) -> str:
    """Where a credential comes from, as text safe to print."""
    value = (cfg.entry(name) or {}).get(field)
    var = cfg.registry.get(name).env_var(field)
    if isinstance(value, str) and value:
        if value.startswith("${") and value.endswith("}"):
            state = "set" if value[2:-1] in cfg.env else "NOT SET"
            return f"{value} ({state})"
        return f"{MASK} (in file)"
    if cfg.env.get(var):
        return f"{MASK} (from {var})"
    return f"missing (set it here or export {var})"


def describe_profile(cfg: Config) -> dict[str, Any]:
    providers: dict[str, Any] = {}
    for name in cfg.registry.names():
        provider = cfg.registry.find(name)
        if provider is None:
            continue
        entry = cfg.entry(name)
        from_env = any(cfg.env.get(provider.env_var(c)) for c in provider.credentials)
        if entry is None and not from_env:
            continue
        shown: dict[str, Any] = {c: _source(cfg, name, c) for c in provider.credentials}
        for key, value in (entry or {}).items():
            if key == "auth_scheme" and not is_token(value) and "${" not in value:
                shown[key] = f"{MASK} (not one word; see jobctl config check)"
            elif key not in provider.credentials:
                shown[key] = value
        base = shown.get("base_url") or provider.default_base_url
        shown["base_url"] = redact_url(base)
        problem = check_base_url(base) if isinstance(base, str) and "${" not in base else None
        if problem:
            shown["problem"] = f"base_url {problem}"
        providers[name] = shown
    return {
        "file": str(cfg.path) + ("" if cfg.exists else " (no such file)"),
        "profile": f"{cfg.profile} (from {cfg.profile_source})",
        "providers": providers,
    }


class ProfileCheck(NamedTuple):
    """What ``config check`` found: usable providers, by where they are set, and problems."""

    in_profile: list[str]
    env_only: dict[str, list[str]]  # provider -> the variables that configure it
    problems: list[ConfigError]

    def summary(self, cfg: Config) -> str:
        """One line: what is usable and from where (``ok: ...``), for a check without problems."""
        where = f"{cfg.path}, profile '{cfg.profile}'" if cfg.exists else f"no config file at {cfg.path}"
        parts = [f"{', '.join(self.in_profile)} configured"] if self.in_profile else []
        if self.env_only:
            named = ", ".join(f"{name} ({', '.join(names)})" for name, names in self.env_only.items())
            parts.append(f"configured only through the environment: {named}")
        return f"{where}: {'; '.join(parts)}"


def check_profile(cfg: Config) -> ProfileCheck:
    """Resolve every provider the profile or the environment configures; send nothing.

    No usable provider at all is a problem too: nothing could be looked up.
    """
    in_profile: list[str] = []
    env_only: dict[str, list[str]] = {}
    problems: list[ConfigError] = list(cfg.registry.problems())  # broken declarations
    for name in [*cfg.entries, *(n for n in cfg.registry.local_names() if n not in cfg.entries)]:
        provider = cfg.registry.find(name)
        if provider is None:
            continue
        names = [provider.env_var(c) for c in provider.credentials if cfg.env.get(provider.env_var(c))]
        if name not in cfg.entries and not names:
            continue
        try:
            cfg.settings_for(name)
        except ConfigError as exc:
            problems.append(exc)
            continue
        if name in cfg.entries:
            in_profile.append(name)
        else:
            env_only[name] = names
    if not (in_profile or env_only or problems):
        problems.append(ConfigError(_nothing_configured(cfg)))
    return ProfileCheck(in_profile, env_only, problems)


def _nothing_configured(cfg: Config) -> str:
    example = "KREA_API_KEY"
    if not cfg.exists:
        return (
            f"no provider is configured: no config file at {cfg.path} and no provider key in the "
            f"environment; export one (e.g. {example}=...) or create the file (see config.example.yaml)"
        )
    others = [p for p in cfg.profiles if p != cfg.profile]
    hint = f" (profiles in the file: {', '.join(others)}; choose one with --profile)" if others else ""
    return (
        f"no provider is configured in profile '{cfg.profile}' of {cfg.path}{hint}; add one under "
        f"profiles.{cfg.profile} (see config.example.yaml) or export its key (e.g. {example}=...)"
    )
