"""`jobctl ls --remote` and `jobctl cancel`: the provider's own list of recent jobs,
and asking it to stop one. Only documented endpoints; a provider without one is named
in one line and nothing is sent to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from jobctl.cli.context import CLI_WORDING, Environment
from jobctl.cli.options import ConfigOpt, DebugOpt, JsonOpt, NoTrackOpt, ProfileOpt, RawOpt, RefsArg
from jobctl.errors import JobctlError, UsageError

if TYPE_CHECKING:
    from jobctl.model import Job


def list_remote(
    env: Environment,
    names: list[str],
    *,
    status: str | None,
    limit: int,
    as_json: bool,
    profile: str | None,
    config: str | None,
    no_track: bool,
) -> None:
    """`ls --remote`: each named provider's list (default: every configured one that can
    list), newest first, into the journal. Exit 2 when none of them can list."""
    from jobctl._remote import cannot, list_limit, list_status, listing_providers, newest_first
    from jobctl.cli.output.views import show_job_list

    # Before the config: a typo costs nothing.
    wanted, most = list_status(status, CLI_WORDING), list_limit(limit, CLI_WORDING)
    cfg = env.load_config(profile, config)
    names = list(dict.fromkeys(names)) or listing_providers(cfg)
    if not names:
        raise UsageError(
            f"nothing to list: no provider in profile '{cfg.profile}' can list jobs; "
            "configure one that can, or name it (jobctl ls --remote krea)"
        )
    providers = [cfg.registry.get(name) for name in names]  # an unknown name: exit 2 here
    lacking = [p for p in providers if p.list_endpoint is None]
    if len(lacking) == len(providers):
        env.finish([cannot(p, "list jobs") for p in lacking])
    for provider in lacking:
        env.note(cannot(provider, "list jobs", "skipped").message)
    jobs: list[Job] = []
    errors: list[JobctlError] = []
    with env.client(cfg) as client:
        for provider in (p for p in providers if p.list_endpoint is not None):
            try:
                jobs += client.list_jobs(provider.name, wanted, most)
            except JobctlError as exc:
                errors.append(exc)
    jobs = newest_first(jobs)
    book = env.journal(no_track)
    if as_json:
        env.out_json([job.to_dict() for job in jobs])
    elif jobs:
        show_job_list(env, jobs, set(book.downloads()))
    elif not errors:
        which = f"{wanted.value} " if wanted else ""
        env.out(f"no {which}jobs on {', '.join(p.name for p in providers if p.list_endpoint)}")
    book.record(jobs)  # so `jobctl watch --until-done` follows what was listed
    env.finish(errors)


def cancel(
    ctx: typer.Context,
    refs: RefsArg = None,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    raw: RawOpt = False,
    debug: DebugOpt = False,
    no_track: NoTrackOpt = False,
) -> None:
    """Ask providers to stop jobs, then show each job as it is now (as get shows it).

    Krea and Unstructured document a cancel, and so may a provider declared in the
    config file; for any other provider nothing is sent. A job already finished is
    left as it is. Exit codes: 0 every job cancelled or already finished, 2 a bad ref
    or a provider that cannot cancel (then nothing is sent at all), 3 authentication
    refused, 4 unknown job, 5 the provider refused or failed; the most severe wins.

    \b
    Examples:
      jobctl cancel krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20
      jobctl cancel unstructured ID1 ID2 --json | jq -r '.[].status'
      jobctl ls --remote krea --status queued --json \\
        | jq -r '.[] | "\\(.provider):\\(.id)"' | jobctl cancel -
    """
    from jobctl._remote import cannot
    from jobctl.cli.output.views import show_jobs
    from jobctl.model import Job

    env: Environment = ctx.obj
    cfg = env.load_config(profile, config)
    parsed, errors = env.read_refs(list(refs or []), cfg.registry)
    if not parsed and not errors:
        raise UsageError("no job refs given; e.g. jobctl cancel krea:ID  (see jobctl cancel --help)")
    providers = [cfg.registry.get(name) for name in dict.fromkeys(r.provider for r in parsed)]
    lacking = [cannot(p, "cancel a job") for p in providers if p.cancel_endpoint is None]
    if errors or lacking:  # a stop request is not sent for some refs and not for others
        env.finish([*errors, *lacking])
    with env.client(cfg) as client:
        outcomes = client.cancel_many(parsed)
    jobs = [o for o in outcomes if isinstance(o, Job)]
    failed = [o for o in outcomes if isinstance(o, JobctlError)]
    for job in jobs:
        said = cancel_note(job)
        if said:
            env.note(said)
    show_jobs(env, jobs, as_json=as_json, raw=raw, many=parsed.given > 1)
    env.journal(no_track).record_outcomes(outcomes)
    env.finish(failed)


def cancel_note(job: Job) -> str | None:
    """What a cancel did not do, in one line: a job that had finished, or one still going."""
    from jobctl.cli.output.views import status_label
    from jobctl.model import Status

    ref = f"{job.provider}:{job.id}"
    if job.status is Status.CANCELLED:
        return None
    if job.done:
        return f"{ref}: already {job.status.value}; nothing to cancel"
    return (
        f"{ref}: cancel requested; the provider still reports it {status_label(job)} "
        f"(jobctl watch {ref} --until-done follows it)"
    )
