"""`jobctl download`: the output files of succeeded jobs, into one directory."""

from __future__ import annotations

from typing import Annotated

import typer

from jobctl.cli.context import CLI_WORDING, Environment
from jobctl.cli.options import ConfigOpt, DebugOpt, NoTrackOpt, ProfileOpt, RefsArg
from jobctl.errors import UsageError


def download(
    ctx: typer.Context,
    refs: RefsArg = None,
    directory: Annotated[
        str, typer.Option("--dir", "-d", help="Directory for the files (created if missing).", metavar="DIR")
    ] = ".",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON manifest of the files on stdout.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Download again files that are already there.")
    ] = False,
    max_size: Annotated[
        str, typer.Option("--max-size", help="Refuse files larger than this (500MB, 2GiB).", metavar="SIZE")
    ] = "5GiB",
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
    no_track: NoTrackOpt = False,
) -> None:
    """Download the output files of succeeded jobs into DIR.

    Files are named DIR/<provider>-<id>[-<n>]<ext>; a file already there is skipped,
    an interrupted one (NAME.part) resumes if the server still has the same version
    (else it starts over). Exit codes: 0 all downloaded or skipped, 1 a job has not
    succeeded, 2 DIR is unusable, 5 a download failed.

    \b
    Examples:
      jobctl download krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20 -d out
      jobctl download creatify ID1 ID2 --dir videos --max-size 2GiB
      jobctl ls --all --json | jq -r '.[] | select(.status == "succeeded") | "\\(.provider):\\(.id)"' \\
        | jobctl download - -d out --json | jq -r '.[].path'
    """
    from jobctl._units import size_limit
    from jobctl.cli.output.progress import download_view

    env: Environment = ctx.obj
    cap = size_limit(max_size, CLI_WORDING.max_size)  # before anything else, as the library checks it
    cfg = env.load_config(profile, config)
    parsed, errors = env.read_refs(list(refs or []), cfg.registry)
    if not parsed and not errors:
        raise UsageError(
            "no job refs given; e.g. jobctl download krea:ID -d out (see jobctl download --help)"
        )
    with env.client(cfg, journal=env.journal(no_track)) as client, download_view(env) as view:
        # The manifest's SHA-256 costs about a second of CPU per GiB: only for --json.
        result = client.download(
            parsed, directory, overwrite=overwrite, max_size=cap, checksums=as_json, progress=view.show
        )
    if as_json:
        env.out_json(result.manifest())
    env.finish([*errors, *result.failures])
