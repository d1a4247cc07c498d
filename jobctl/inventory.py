"""What `providers` and `config show` report: settings as resolved, never a secret."""

from __future__ import annotations

from typing import Any

from jobctl.config import Config, check_base_url
from jobctl.errors import ConfigError
from jobctl.redaction import MASK


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
            auth = provider.auth.describe({k: str(v) for k, v in entry.items()})
        rows.append(
            {
                "name": name,
                "title": provider.title,
                "configured": problem is None,
                "base_url": base_url,
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
            if key not in provider.credentials:
                shown[key] = value
        base = shown.get("base_url") or provider.default_base_url
        shown["base_url"] = base
        problem = check_base_url(base) if isinstance(base, str) and "${" not in base else None
        if problem:
            shown["problem"] = f"base_url {problem}"
        providers[name] = shown
    return {
        "file": str(cfg.path) + ("" if cfg.exists else " (no such file)"),
        "profile": f"{cfg.profile} (from {cfg.profile_source})",
        "providers": providers,
    }
