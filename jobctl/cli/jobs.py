"""`jobctl get`, `ls` and `forget`: a job as it is now, and the jobs this machine knows."""

from __future__ import annotations

from typing import Annotated

import typer

from jobctl.cli.context import Environment
from jobctl.cli.options import ConfigOpt, DebugOpt, JsonOpt, NoTrackOpt, ProfileOpt, RawOpt, RefsArg
from jobctl.errors import ExitCode, JobctlError, NotFoundError, UsageError


def get(
    ctx: typer.Context,
    refs: RefsArg = None,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    raw: RawOpt = False,
    debug: DebugOpt = False,
    exit_status: Annotated[
        bool, typer.Option("--exit-status", help="Exit 1 if a job failed or was cancelled.")
    ] = False,
    no_track: NoTrackOpt = False,
) -> None:
    """Show the current state of one or more jobs.

    One job prints a detail view (JSON: an object); several print a table (JSON: an
    array, in the order given). Errors go to stderr, one line per job, and the exit
    code is the most severe one.

    \b
    Examples:
      jobctl get krea 4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20
      jobctl get krea:ID1 gepetto:ID2 aisquare:42
      jobctl get krea ID --json | jq -r .status
      jq -r '.[] | "\\(.provider):\\(.id)"' jobs.json | jobctl get -
    """
    from jobctl.cli.output.views import show_jobs
    from jobctl.model import Job

    env: Environment = ctx.obj
    cfg = env.load_config(profile, config)
    parsed, errors = env.read_refs(list(refs or []), cfg.registry)
    if not parsed and not errors:
        raise UsageError("no job refs given; e.g. jobctl get krea ID  (see jobctl get --help)")
    with env.client(cfg) as client:
        outcomes = client.get_many(parsed)
    jobs = [o for o in outcomes if isinstance(o, Job)]
    failed = [o for o in outcomes if isinstance(o, JobctlError)]
    show_jobs(env, jobs, as_json=as_json, raw=raw, many=parsed.given > 1)
    book = env.journal(no_track)  # after the answer: a locked journal must not delay it
    book.record(jobs)
    book.mark_gone([e.ref for e in failed if isinstance(e, NotFoundError) and e.ref])
    extra = [ExitCode.JOB_FAILED] if exit_status and any(j.done and not j.status.ok for j in jobs) else []
    env.finish([*errors, *failed], extra)


def list_jobs(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", "-a", help="Include finished jobs.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the jobs this machine has looked at, with their last known state.

    \b
    Examples:
      jobctl ls
      jobctl ls --all --json | jq -r '.[] | select(.status == "failed") | .id'
    """
    from jobctl.cli.output.views import jobs_text

    env: Environment = ctx.obj
    book = env.journal()
    entries = book.entries(include_done=show_all)
    if as_json:
        files = book.downloads()  # what `download` wrote where, per job
        env.out_json(
            [
                {**e.job.to_dict(), "gone": e.gone, "downloads": files.get((e.job.provider, e.job.id), [])}
                for e in entries
            ]
        )
    elif not entries:
        hint = "(jobctl ls --all shows every one)"
        env.out("no tracked jobs" if show_all else f"no unfinished tracked jobs {hint}")
    else:
        env.out(jobs_text(env, [e.shown_job for e in entries], many=True))


def forget(
    ctx: typer.Context,
    refs: RefsArg = None,
    done: Annotated[
        bool,
        typer.Option(
            "--done", help="Forget every finished job; with refs: only those of them that are finished."
        ),
    ] = False,
) -> None:
    """Remove jobs from the job journal.

    \b
    Examples:
      jobctl forget krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20
      jobctl forget --done
      jobctl forget --done krea:ID1 krea:ID2      # those of the two that are finished
    """
    env: Environment = ctx.obj
    parsed, errors = env.read_refs(list(refs), env.default_registry()) if refs else ([], [])
    if not parsed and not errors and not done:
        raise UsageError("say what to forget: refs (jobctl forget krea:ID) or --done")
    removed = env.journal().forget([(r.provider, r.id) for r in parsed], done=done)
    env.out(f"forgot {removed} job{'' if removed == 1 else 's'}")
    env.finish(list(errors))
