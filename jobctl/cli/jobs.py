"""`jobctl get`, `ls` and `forget`: a job as it is now, and the jobs this machine knows."""

from __future__ import annotations

from typing import Annotated

import typer

from jobctl.cli.context import Environment
from jobctl.cli.options import ConfigOpt, DebugOpt, JsonOpt, NoTrackOpt, ProfileOpt, RawOpt, RefsArg
from jobctl.errors import ExitCode, JobctlError, UsageError


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
    env.journal(no_track).record_outcomes(outcomes)  # after the answer: a locked journal must not delay it
    extra = [ExitCode.JOB_FAILED] if exit_status and any(j.done and not j.status.ok for j in jobs) else []
    env.finish([*errors, *failed], extra)


def list_jobs(
    ctx: typer.Context,
    providers: Annotated[
        list[str] | None,
        typer.Argument(
            help="With --remote: the providers to ask (default: every configured one that can list).",
            metavar="[PROVIDER]...",
            show_default=False,
        ),
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", "-a", help="Include finished jobs.")] = False,
    remote: Annotated[
        bool, typer.Option("--remote", help="Ask the providers for their recent jobs instead.")
    ] = False,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="With --remote: only jobs in this status (queued, running, succeeded, failed, "
            "cancelled, unknown).",
            metavar="WORD",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", help="With --remote: at most N jobs per provider, 1-1000 [default: 20].", metavar="N"
        ),
    ] = None,
    as_json: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
    no_track: NoTrackOpt = False,
) -> None:
    """List the jobs this machine has looked at, or (--remote) the providers' own.

    Without --remote: the unfinished tracked jobs with their last known state, and
    succeeded ones whose outputs expire within the hour and were not downloaded
    (marked, with the command that saves them); --all shows every one.

    With --remote: each provider's recent jobs, newest first, from its documented
    list endpoint (Krea, Unstructured, and providers declared with a list); they
    enter the journal, so a later `jobctl watch --until-done` follows them.

    \b
    Examples:
      jobctl ls
      jobctl ls --all --json | jq -r '.[] | select(.status == "failed") | .id'
      jobctl ls --remote krea --status running && jobctl watch --until-done
      jobctl ls --remote --limit 100 --json | jq -r '.[] | "\\(.provider):\\(.id)"'
    """
    from jobctl.cli.output.views import expires_soon, now_of, show_job_list

    env: Environment = ctx.obj
    if remote:
        from jobctl.cli.remote import list_remote

        return list_remote(
            env,
            list(providers or []),
            status=status,
            limit=20 if limit is None else limit,
            as_json=as_json,
            profile=profile,
            config=config,
            no_track=no_track,
        )
    if providers or status is not None or limit is not None:
        raise UsageError("PROVIDER, --status and --limit go with --remote: e.g. jobctl ls --remote krea")
    book = env.journal()
    files = book.downloads()  # what `download` wrote where, per job
    now = now_of(env)
    entries = [
        e
        for e in book.entries(include_done=show_all, expiring=True)
        if show_all or not e.job.done or expires_soon(e.job, now, (e.job.provider, e.job.id) in files)
    ]
    if as_json:
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
        show_job_list(env, [e.shown_job for e in entries], set(files))


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
