"""Shell completion values: provider names, profiles, and refs from the job journal.

Called by Typer's completion protocol (``_JOBCTL_COMPLETE``) on every Tab press, so
each answer reads as little as it can: one SQLite query of two columns, or one
YAML file.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING

from jobctl.cli.context import Environment
from jobctl.providers import PROVIDERS

if TYPE_CHECKING:
    import typer


def environment(ctx: typer.Context) -> Environment:
    """The run's Environment (the one Typer was handed), else this process's."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Environment) else Environment.from_process()


def complete_after_bashs_colon(environ: MutableMapping[str, str]) -> None:
    """Make a bash Tab press right after ``krea:`` complete the empty word after the colon.

    bash splits words at ':' (COMP_WORDBREAKS) and its readline replaces only the text
    after the colon, so ``krea:`` arrives as ``krea`` then the word ``:``. Typer passes on
    only completions that start with the word being completed, and no id starts with
    ':' (bash then lists the directory's files). The word being completed is the empty
    one after the colon: so it is given, and the ids come bare, as after ``krea:4d``.
    Typer reads COMP_WORDS from the process environment, hence ``environ``.
    """
    import shlex

    if environ.get("_JOBCTL_COMPLETE") != "complete_bash":
        return
    try:
        words = shlex.split(environ.get("COMP_WORDS", ""))
        current = int(environ.get("COMP_CWORD", ""))
    except ValueError:
        return
    if 0 < current < len(words) and words[current] == ":":
        environ["COMP_WORDS"] = environ["COMP_WORDS"] + " ''"
        environ["COMP_CWORD"] = str(current + 1)


def complete_refs(ctx: typer.Context, typed: list[str], incomplete: str) -> list[str]:
    """``kr`` -> ``krea``, ``krea:``; ``krea:4d`` -> tracked krea refs; after ``krea``
    (the ``PROVIDER ID...`` form) -> tracked krea ids. ``typed``: the refs before it."""
    env = environment(ctx)
    provider, sep, prefix = incomplete.partition(":")
    if sep:
        return [f"{provider}:{i}" for i in tracked_ids(env, provider.lower()) if i.startswith(prefix)]
    if len(typed) >= 2 and typed[-1] == ":":
        # bash splits "krea:4d" at the colon: the word being completed is the id alone
        return [i for i in tracked_ids(env, typed[-2].lower()) if i.startswith(incomplete)]
    if (
        typed
        and ":" not in typed[0]
        and (typed[0].lower() in PROVIDERS or typed[0].lower() in provider_names(env))
    ):
        return [i for i in tracked_ids(env, typed[0].lower()) if i.startswith(incomplete)]
    names = [n for n in provider_names(env) if n.startswith(incomplete.lower())]
    return [v for n in names for v in (n, f"{n}:")]


def provider_names(env: Environment) -> list[str]:
    """Built-ins, the config file's declarations and installed plugins (not imported)."""
    from jobctl.config import load_config

    try:
        return load_config(None, None, env.environ, config_dir=env.config_dir).registry.offered_names()
    except Exception:  # a broken config still completes the built-ins
        return list(PROVIDERS)


def tracked(env: Environment, provider: str) -> list[tuple[str, str]]:
    """(provider, id) of one provider's tracked jobs, unfinished and recently seen first."""
    import sqlite3

    path = env.data_dir / "journal.sqlite3"
    if env.no_track or not path.is_file():
        return []
    query = "SELECT provider, id FROM jobs WHERE provider = ? ORDER BY done, last_seen DESC LIMIT 2000"
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1) as db:
            rows = db.execute(query, (provider,)).fetchall()
    except sqlite3.Error:
        return []
    return [(str(p), str(i)) for p, i in rows]


def tracked_ids(env: Environment, provider: str) -> list[str]:
    return [i for _, i in tracked(env, provider)]


def complete_profiles(ctx: typer.Context, incomplete: str) -> list[str]:
    """Profile names in the config file the command line would read."""
    from jobctl.config import config_location, read_config_text

    env = environment(ctx)
    config = ctx.params.get("config")
    try:
        path, _ = config_location(config if isinstance(config, str) else None, env.environ, env.config_dir)
        import yaml

        data = yaml.load(read_config_text(path), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception:  # completion never fails: an unreadable file offers nothing
        return []
    profiles = data.get("profiles") if isinstance(data, dict) else None
    return (
        [str(p) for p in (profiles or {}) if str(p).startswith(incomplete)]
        if isinstance(profiles, dict)
        else []
    )
