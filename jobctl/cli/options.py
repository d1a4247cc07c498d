"""The options and arguments several commands share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer


def _complete_refs(ctx: typer.Context, incomplete: str) -> list[str]:
    from jobctl.cli.completion import complete_refs

    return complete_refs(ctx, list(ctx.params.get("refs") or []), incomplete)


def _complete_profiles(ctx: typer.Context, incomplete: str) -> list[str]:
    from jobctl.cli.completion import complete_profiles

    return complete_profiles(ctx, incomplete)


ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Profile in the config file [env: JOBCTL_PROFILE].",
        metavar="NAME",
        show_default=False,
        autocompletion=_complete_profiles,
    ),
]
ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config", help="Config file to use [env: JOBCTL_CONFIG].", metavar="PATH", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
RawOpt = Annotated[
    bool, typer.Option("--raw", help="JSON with the provider's unmodified payload added as 'raw'.")
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Log requests to stderr (secrets redacted); show tracebacks.")
]
NoTrackOpt = Annotated[
    bool,
    typer.Option("--no-track", help="Do not record jobs in the job journal [env: JOBCTL_NO_TRACK=1]."),
]
RefsArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="PROVIDER ID [ID...], or REF [REF...] with REF = provider:id, or - to read refs from stdin.",
        metavar="PROVIDER ID... | REF... | -",
        show_default=False,
        autocompletion=_complete_refs,
    ),
]
