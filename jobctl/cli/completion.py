"""Shell completion values: provider names, profiles, and refs from the job journal.

Called by Typer's completion protocol (``_JOBCTL_COMPLETE``) on every Tab press, so
each answer reads as little as it can: one SQLite query of two columns, or one
YAML file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from jobctl.providers import PROVIDERS


def complete_refs(typed: list[str], incomplete: str) -> list[str]:
    """``kr`` -> ``krea``, ``krea:``; ``krea:4d`` -> tracked krea refs; after ``krea``
    (the ``PROVIDER ID...`` form) -> tracked krea ids. ``typed``: the refs before it."""
    provider, sep, prefix = incomplete.partition(":")
    if sep:
        return [f"{provider}:{i}" for i in tracked_ids(provider.lower()) if i.startswith(prefix)]
    if len(typed) >= 2 and typed[-1] == ":":
        # bash splits "krea:4d" at the colon: the word being completed is the id alone
        return [i for i in tracked_ids(typed[-2].lower()) if i.startswith(incomplete)]
    if (
        typed
        and ":" not in typed[0]
        and (typed[0].lower() in PROVIDERS or typed[0].lower() in provider_names())
    ):
        return [i for i in tracked_ids(typed[0].lower()) if i.startswith(incomplete)]
    names = [n for n in provider_names() if n.startswith(incomplete.lower())]
    return [v for n in names for v in (n, f"{n}:")]


def provider_names() -> list[str]:
    """Built-ins, the config file's declarations and installed plugins (not imported)."""
    from jobctl.config import load_config

    try:
        return load_config().registry.offered_names()
    except Exception:  # a broken config still completes the built-ins
        return list(PROVIDERS)


def tracked(provider: str) -> list[tuple[str, str]]:
    """(provider, id) of one provider's tracked jobs, unfinished and recently seen first."""
    import sqlite3

    from jobctl.journal import data_dir, tracking_disabled

    path = data_dir() / "journal.sqlite3"
    if tracking_disabled() or not path.is_file():
        return []
    query = "SELECT provider, id FROM jobs WHERE provider = ? ORDER BY done, last_seen DESC LIMIT 2000"
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1) as db:
            rows = db.execute(query, (provider,)).fetchall()
    except sqlite3.Error:
        return []
    return [(str(p), str(i)) for p, i in rows]


def tracked_ids(provider: str) -> list[str]:
    return [i for _, i in tracked(provider)]


def complete_profiles(params: Mapping[str, object], incomplete: str) -> list[str]:
    """Profile names in the config file the command line would read."""
    from jobctl.config import config_location

    config = params.get("config")
    try:
        path, _ = config_location(config if isinstance(config, str) else None, os.environ)
        import yaml

        data = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except Exception:  # completion never fails: an unreadable file offers nothing
        return []
    profiles = data.get("profiles") if isinstance(data, dict) else None
    return (
        [str(p) for p in (profiles or {}) if str(p).startswith(incomplete)]
        if isinstance(profiles, dict)
        else []
    )
