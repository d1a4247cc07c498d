"""`jobctl providers` and `jobctl config path|show|check`: what is supported, and what
the config file resolves to, never a secret."""

from __future__ import annotations

from collections.abc import Callable

import typer

from jobctl.cli.context import Environment
from jobctl.cli.options import ConfigOpt, JsonOpt, ProfileOpt

HELP = (
    "Where the config file is, what it holds (secrets redacted), whether it is valid.\n\n"
    "\b\nExamples:\n  jobctl config path\n  jobctl config show -p work\n  jobctl config check"
)


def providers(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List supported providers and whether this profile has credentials for them.

    \b
    Examples:
      jobctl providers
      jobctl providers -p work --json | jq -r '.[] | select(.configured) | .name'
    """
    from jobctl.config.report import provider_rows

    env: Environment = ctx.obj
    cfg = env.load_config(profile, config)
    rows = provider_rows(cfg)
    if as_json:
        env.out_json(rows)
        return
    width = max(len(r["name"]) for r in rows)
    source_width = max(len(r["source"]) for r in rows)
    for r in rows:
        state = "configured" if r["configured"] else "not configured"
        where = f"{r['base_url']}  ({r['auth']})" if r["base_url"] else r["problem"]
        env.out(f"{r['name']:<{width}}  {state:<14}  {r['source']:<{source_width}}  {where}")
    env.out(f"\nprofile '{cfg.profile}' from {cfg.path}{'' if cfg.exists else ' (no such file)'}")


def config_path(ctx: typer.Context, config: ConfigOpt = None) -> None:
    """Print the config file jobctl reads (it may not exist yet).

    \b
    Examples:
      jobctl config path
      $EDITOR "$(jobctl config path)"
    """
    from jobctl.config import config_location

    env: Environment = ctx.obj
    env.out(str(config_location(config, env.environ, env.config_dir)[0]))


def config_show(
    ctx: typer.Context, profile: ProfileOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """Show the selected profile as jobctl resolves it, every secret redacted.

    \b
    Examples:
      jobctl config show
      jobctl config show -p work --json
    """
    from jobctl.config.report import describe_profile

    env: Environment = ctx.obj
    data = describe_profile(env.load_config(profile, config))
    if as_json:
        env.out_json(data)
        return
    import yaml

    env.out(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


def config_check(ctx: typer.Context, profile: ProfileOpt = None, config: ConfigOpt = None) -> None:
    """Validate the config file and the selected profile's credentials (sends nothing).

    Every provider the profile names or the environment configures is checked. Exits 0
    when each of them is usable, 2 when one is not or when none is configured at all.

    \b
    Examples:
      jobctl config check
      jobctl config check --config ./config.yaml -p work
    """
    from jobctl.config.report import check_profile

    env: Environment = ctx.obj
    cfg = env.load_config(profile, config, broken_as_errors=True)
    check = check_profile(cfg)
    if not check.problems:
        env.out(f"ok: {check.summary(cfg)}")
    env.finish(list(check.problems))


CONFIG_COMMANDS: dict[str, Callable[..., None]] = {
    "path": config_path,
    "show": config_show,
    "check": config_check,
}
