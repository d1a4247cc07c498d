"""The command line: parse options, call one library function, render the result.

``main`` is the only error boundary: a JobctlError becomes one stderr line and its
exit code; anything unexpected becomes one line too (with a traceback under --debug).
"""

import gc
import inspect
import io
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from jobctl import __version__
from jobctl.cli.context import Environment
from jobctl.errors import ExitCode, JobctlError, NotFoundError, UsageError, WaitTimeout, most_severe

if TYPE_CHECKING:
    import re

    from rich.console import Console

    from jobctl._download.engine import Saved
    from jobctl.cli.output.progress import DownloadRun
    from jobctl.config import Config
    from jobctl.journal import Journal
    from jobctl.model import Job
    from jobctl.providers.registry import Registry
    from jobctl.refs import RefList

F = TypeVar("F", bound=Callable[..., None])

# Typer builds the parser of every registered command on each run, so the commands are
# collected here and each run registers only what its argv can reach (see build_app).
COMMANDS: dict[str, Callable[..., None]] = {}
CONFIG_COMMANDS: dict[str, Callable[..., None]] = {}
_SETTINGS: dict[str, Any] = {
    "no_args_is_help": True,
    "add_completion": False,  # the root app turns it on: --install-completion, --show-completion
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
_CONFIG_HELP = (
    "Where the config file is, what it holds (secrets redacted), whether it is valid.\n\n"
    "\b\nExamples:\n  jobctl config path\n  jobctl config show -p work\n  jobctl config check"
)


def command(name: str | None = None, *, into: dict[str, Callable[..., None]] = COMMANDS) -> Callable[[F], F]:
    def register(fn: F) -> F:
        into[name or fn.__name__] = fn
        return fn

    return register


def _listing_only() -> None:
    """Stands in for a command while only the command list is shown; never called."""
    raise AssertionError("unreachable: registered only to list commands")


def build_app(argv: list[str]) -> typer.Typer:
    """The Typer app for one command line.

    ``jobctl get ...`` registers only ``get``; ``jobctl``/``--help`` registers every
    command by name and help text alone (that is all the listing shows); anything else
    (a typo, an unknown option) gets the full tree, so its error reads as usual.
    """
    first = argv[0] if argv else "--help"
    if "_JOBCTL_COMPLETE" in os.environ:
        first = _completing()
    listing = first in ("--help", "-h")
    known = first in COMMANDS or first == "config"
    # --install-completion and --show-completion are root options: a run of one command
    # skips building them (a Tab press needs Typer's completion set up, so it keeps them).
    completing = "_JOBCTL_COMPLETE" in os.environ
    app = typer.Typer(name="jobctl", **{**_SETTINGS, "add_completion": completing or not known})
    app.callback()(_root)
    for name, fn in COMMANDS.items():
        if listing:
            app.command(name, help=inspect.getdoc(fn))(_listing_only)
        elif name == first or not known:
            app.command(name)(fn)
    if listing:
        app.command("config", help=_CONFIG_HELP)(_listing_only)
    elif first == "config" or not known:
        config_app = typer.Typer(help=_CONFIG_HELP, **_SETTINGS)
        for name, fn in CONFIG_COMMANDS.items():
            config_app.command(name)(fn)
        app.add_typer(config_app, name="config")
    return app


def _completing() -> str:
    """The command a Tab press completes for, as ``build_app`` wants it: the command
    word once it is typed whole, else ``--help`` (the listing: names and help only)."""
    import shlex

    words = os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS") or ""
    try:
        typed = shlex.split(words)
    except ValueError:
        return ""
    current = int(os.environ.get("COMP_CWORD", len(typed) - (0 if words.endswith(" ") else 1)))
    return typed[1] if len(typed) > 1 and current > 1 else "--help"


# --- options shared by every command that reads jobs ---------------------------------


def _complete_refs(ctx: typer.Context, incomplete: str) -> list[str]:
    from jobctl.cli.completion import complete_refs

    return complete_refs(list(ctx.params.get("refs") or []), incomplete)


def _complete_profiles(ctx: typer.Context, incomplete: str) -> list[str]:
    from jobctl.cli.completion import complete_profiles

    return complete_profiles(ctx.params, incomplete)


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

VERSION_LINE = f"jobctl {__version__}"


def _version(value: bool) -> None:
    if value:
        typer.echo(VERSION_LINE)
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Is it done, did it fail, where is the output? One CLI for jobs on hosted AI APIs.

    \b
    Examples:
      jobctl demo                              # try it offline, no keys needed
      jobctl get krea 4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20
      jobctl get krea:ID creatify:ID --json | jq -r '.[].status'
    """


# --- output helpers -------------------------------------------------------------------


class OutputClosed(Exception):
    """stdout's reader went away (``| head -1``): the run ends quietly, exit 0."""


def out(env: Environment, text: str) -> None:
    try:
        env.out(text)
    except BrokenPipeError:
        # Not an OSError past this point: Typer would turn EPIPE into exit 1.
        raise OutputClosed from None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def show_jobs(env: Environment, jobs: "list[Job]", *, as_json: bool, raw: bool, many: bool) -> None:
    """One job: detail view / object. Several: table / array."""
    from jobctl.cli.output import views as render

    if as_json or raw:
        data = [j.to_dict(raw=raw) for j in jobs]
        pretty = render.is_terminal(env.stdout)
        if many:
            out(env, render.dumps_json(data, pretty))
        elif jobs:
            out(env, render.dumps_json(data[0], pretty))
        return
    if jobs:
        out(env, render.jobs_text(jobs, many))


def journal(env: Environment, no_track: bool = False) -> "Journal":
    from jobctl.journal import Journal, NoJournal, tracking_disabled

    return NoJournal() if tracking_disabled(no_track) else Journal(warn=env.warn)


def read_refs(env: Environment, args: list[str], registry: "Registry") -> "tuple[RefList, list[UsageError]]":
    """Refs from arguments, '-' meaning stdin; no arguments and a piped stdin also reads it."""
    from jobctl.refs import parse_refs

    if not args and not env.stdin_is_terminal():
        args = ["-"]
    return parse_refs(args, env.stdin_lines() if "-" in args else None, registry)


def load(
    env: Environment, profile: str | None, config: str | None, *, broken_as_errors: bool = False
) -> "Config":
    return env.load_config(profile, config, broken_as_errors=broken_as_errors)


def finish(env: Environment, errors: list[JobctlError], extra: list[ExitCode] | None = None) -> NoReturn:
    for error in errors:
        env.report(error)
    raise typer.Exit(int(most_severe([e.exit_code for e in errors] + (extra or []))))


# --- commands ---------------------------------------------------------------------------


@command()
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
    from jobctl.model import Job

    env: Environment = ctx.obj
    cfg = load(env, profile, config)
    parsed, errors = read_refs(env, list(refs or []), cfg.registry)
    if not parsed and not errors:
        raise UsageError("no job refs given; e.g. jobctl get krea ID  (see jobctl get --help)")
    with env.client(cfg) as client:
        outcomes = client.fetch_all(parsed)
    jobs = [o for o in outcomes if isinstance(o, Job)]
    failed = [o for o in outcomes if isinstance(o, JobctlError)]
    show_jobs(env, jobs, as_json=as_json, raw=raw, many=parsed.given > 1)
    book = journal(env, no_track)  # after the answer: a locked journal must not delay it
    book.record(jobs)
    book.mark_gone([e.ref for e in failed if isinstance(e, NotFoundError) and e.ref])
    extra = [ExitCode.JOB_FAILED] if exit_status and any(j.done and not j.status.ok for j in jobs) else []
    finish(env, [*errors, *failed], extra)


@command()
def watch(
    ctx: typer.Context,
    refs: RefsArg = None,
    until_done: Annotated[
        bool, typer.Option("--until-done", help="Return once every job is done (exit 0 if all succeeded).")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            help="Seconds between polls of a job at first; grows while unchanged.",
            metavar="SECONDS",
        ),
    ] = 2.0,
    max_interval: Annotated[
        float,
        typer.Option(
            "--max-interval", help="Longest gap between polls of one job, in seconds.", metavar="SECONDS"
        ),
    ] = 10.0,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            help="Give up after this long (90, 90s, 10m, 1h30m, 1d): exit 124.",
            metavar="DURATION",
            show_default=False,
        ),
    ] = None,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per change (NDJSON).")
    ] = False,
    raw: RawOpt = False,
    debug: DebugOpt = False,
    no_track: NoTrackOpt = False,
    download_dir: Annotated[
        str | None,
        typer.Option(
            "--download",
            help="Download each job's files into DIR as soon as it succeeds.",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify",
            help="When the watch ends (all done, or --timeout): a terminal bell and a desktop "
            "notification (notify-send, osascript) naming how many succeeded and failed.",
        ),
    ] = False,
) -> None:
    """Follow jobs until they finish: a live table, or one line / JSON object per change.

    With no refs: the refs piped on stdin, else every tracked job that was not done
    when last seen (see jobctl ls). Exit codes with --until-done: 0 all succeeded,
    1 a job failed or was cancelled, 3 auth refused, 4 a job vanished, 124 --timeout.

    \b
    Examples:
      jobctl watch krea:ID gepetto:ID --until-done
      jobctl get krea ID; jobctl watch --until-done      # watches what get saw
      jobctl watch krea ID --json | jq -c '{id, status}'
      jobctl watch --until-done --timeout 10m && echo all done
      jobctl watch krea:ID creatify:ID --until-done --download out
      jobctl watch - --until-done --notify < refs.txt     # bell + desktop notice at the end
    """
    from jobctl.cli.output.live import watch_refs
    from jobctl.cli.output.views import live_display, make_console

    env: Environment = ctx.obj
    seconds = watch_timeout(timeout, interval, max_interval)
    cfg = load(env, profile, config)
    book = journal(env, no_track)
    parsed, errors = refs_to_watch(env, list(refs or []), cfg, book)
    mode = "ndjson" if as_json or raw else "live" if live_display() else "lines"
    console = make_console() if mode == "live" else None
    files = downloads_for(env, download_dir, cfg, console)
    tally = None
    if notify:
        from jobctl.cli.output.notify import Tally

        tally = Tally()
    timed_out: WaitTimeout | None = None
    code, failures = ExitCode.OK, list[JobctlError]()
    with env.client(cfg) as client:
        try:
            code, failures = watch_refs(
                client,
                parsed,
                mode=mode,
                until_done=until_done,
                interval=interval,
                max_interval=max_interval,
                timeout=seconds,
                emit=lambda text: out(env, text),
                warn=lambda message: env.report(JobctlError(message)),
                record=book.record if tally is None else tally.wrap(book.record),
                raw=raw,
                gone=book.mark_gone,
                notice=env.warn,
                console=console,
                on_succeeded=(lambda job: files.add([job])) if files is not None else None,
                extra=files if files is not None and console is not None else None,
                drain=files.wait if files is not None else None,
                history=[e.job for e in book.entries(include_done=True)],
            )
        except WaitTimeout as exc:
            timed_out, failures = exc, exc.failures
    problems = finish_downloads(files, book)
    if tally is not None:
        _notify(tally.summary(len(parsed)) if timed_out else tally.summary(len(parsed), len(failures)))
    ended = [] if mode == "ndjson" else failures  # NDJSON printed its errors as they came
    finish(
        env, [*ended, *problems, *([timed_out] if timed_out else [])], [code, *(e.exit_code for e in errors)]
    )


def watch_timeout(timeout: str | None, interval: float, max_interval: float) -> float | None:
    """--timeout in seconds (None: none), once the polling intervals are known to be sane."""
    from jobctl._units import parse_duration

    try:
        seconds = parse_duration(timeout) if timeout is not None else None
    except ValueError as exc:
        raise UsageError(f"--timeout {exc}") from None
    if not interval > 0 or not max_interval > 0:
        raise UsageError("--interval and --max-interval must be positive numbers of seconds, e.g. 2 or 0.5")
    return seconds


def refs_to_watch(
    env: Environment, given: list[str], cfg: "Config", book: "Journal"
) -> "tuple[RefList, list[UsageError]]":
    """The refs given (stdin's for ``-``), else the journal's unfinished jobs; the bad
    refs are reported here. Exits 2 when nothing is left to watch because of them."""
    parsed, errors = read_refs(env, given, cfg.registry)
    if not parsed and errors:
        finish(env, list(errors))  # nothing to watch: say why at once (exit 2)
    if not parsed:
        if "-" in given:  # asked for stdin: never the journal instead
            raise UsageError("no job refs on stdin; pipe refs (one provider:id per line) or pass them")
        parsed = tracked_refs(book)
    for error in errors:
        env.report(error)
    return parsed, errors


def _notify(body: str) -> None:
    from jobctl.cli.output.notify import notify

    notify(body)


def downloads_for(
    env: Environment, folder: str | None, cfg: "Config", console: "Console | None"
) -> "DownloadRun | None":
    """watch --download DIR: the run that fetches each job's files as it succeeds."""
    if folder is None:
        return None
    from jobctl._download.plan import prepare_dir
    from jobctl.cli.output.progress import DownloadRun

    return DownloadRun(
        prepare_dir(folder), cfg, note=env.note, console=console, log=env.log if env.debug else None
    )


def finish_downloads(files: "DownloadRun | None", book: "Journal") -> list[JobctlError]:
    """Wait for the last file, remember what was written where; the errors to report."""
    if files is None:
        return []
    saved, problems = files.finish()
    record_downloads(book, saved)
    return problems


def record_downloads(book: "Journal", saved: "list[Saved]") -> None:
    book.record_downloads({**s.to_dict(), "path": str(s.path.absolute())} for s in saved)


def tracked_refs(book: "Journal") -> "RefList":
    from jobctl.refs import Ref, RefList

    refs = RefList(Ref(e.job.provider, e.job.id) for e in book.entries() if not e.gone)
    if not refs:
        raise UsageError(
            "nothing to watch: no refs given and no unfinished tracked jobs; "
            "pass refs (jobctl watch krea:ID) or look one up first (jobctl get krea ID)"
        )
    return refs


@command()
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
    an interrupted one (NAME.part) resumes. Exit codes: 0 all downloaded or skipped,
    1 a job has not succeeded, 2 DIR is unusable, 5 a download failed.

    \b
    Examples:
      jobctl download krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20 -d out
      jobctl download creatify ID1 ID2 --dir videos --max-size 2GiB
      jobctl ls --all --json | jq -r '.[] | select(.status == "succeeded") | "\\(.provider):\\(.id)"' \\
        | jobctl download - -d out --json | jq -r '.[].path'
    """
    from jobctl._download.plan import prepare_dir
    from jobctl._units import parse_size
    from jobctl.cli.output.progress import download_jobs, stderr_bars
    from jobctl.model import Job

    env: Environment = ctx.obj
    try:
        cap = parse_size(max_size)
    except ValueError as exc:
        raise UsageError(f"--max-size {exc}") from None
    cfg = load(env, profile, config)
    parsed, errors = read_refs(env, list(refs or []), cfg.registry)
    if not parsed and not errors:
        raise UsageError(
            "no job refs given; e.g. jobctl download krea:ID -d out (see jobctl download --help)"
        )
    folder = prepare_dir(directory)
    with env.client(cfg) as client:
        outcomes = client.fetch_all(parsed)
    jobs = [o for o in outcomes if isinstance(o, Job)]
    book = journal(env, no_track)
    book.record(jobs)
    # The manifest's SHA-256 costs about a second of CPU per GiB: only for --json.
    saved, failed = download_jobs(
        jobs,
        folder,
        cfg,
        note=env.note,
        overwrite=overwrite,
        max_size=cap,
        console=stderr_bars(),
        log=env.log if env.debug else None,
        checksums=as_json,
    )
    record_downloads(book, saved)
    if as_json:
        from jobctl.cli.output.views import dumps_json, is_terminal

        out(env, dumps_json([s.to_dict() for s in saved], is_terminal(env.stdout)))
    finish(env, [*errors, *(o for o in outcomes if isinstance(o, JobctlError)), *failed])


@command("ls")
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
    from jobctl.cli.output import views as render

    env: Environment = ctx.obj
    book = journal(env)
    entries = book.entries(include_done=show_all)
    if as_json:
        files = book.downloads()  # what `download` wrote where, per job
        data = [
            {**e.job.to_dict(), "gone": e.gone, "downloads": files.get((e.job.provider, e.job.id), [])}
            for e in entries
        ]
        out(env, render.dumps_json(data, render.is_terminal(env.stdout)))
    elif not entries:
        hint = "(jobctl ls --all shows every one)"
        out(env, "no tracked jobs" if show_all else f"no unfinished tracked jobs {hint}")
    else:
        out(env, render.jobs_text([e.shown_job for e in entries], many=True))


@command()
def forget(
    ctx: typer.Context,
    refs: RefsArg = None,
    done: Annotated[bool, typer.Option("--done", help="Forget every finished job.")] = False,
) -> None:
    """Remove jobs from the job journal.

    \b
    Examples:
      jobctl forget krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20
      jobctl forget --done
    """
    env: Environment = ctx.obj
    parsed, errors = read_refs(env, list(refs), known_providers(env)) if refs else ([], [])
    if not parsed and not errors and not done:
        raise UsageError("say what to forget: refs (jobctl forget krea:ID) or --done")
    removed = journal(env).forget([(r.provider, r.id) for r in parsed], done=done)
    out(env, f"forgot {removed} job{'' if removed == 1 else 's'}")
    finish(env, list(errors))


def known_providers(env: Environment) -> "Registry":
    """The default config file's providers, for a command without --config; built-ins if it is broken."""
    from jobctl.config import load_config
    from jobctl.errors import ConfigError
    from jobctl.providers.registry import Registry

    try:
        registry = load_config(env=env.environ, redactor=env.redactor).registry
    except ConfigError:
        return Registry(warn=env.warn)
    registry.warn = env.warn
    return registry


@command()
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
    cfg = load(env, profile, config)
    rows = provider_rows(cfg)
    if as_json:
        from jobctl.cli.output.views import dumps_json, is_terminal

        out(env, dumps_json(rows, is_terminal(env.stdout)))
        return
    width = max(len(r["name"]) for r in rows)
    source_width = max(len(r["source"]) for r in rows)
    for r in rows:
        state = "configured" if r["configured"] else "not configured"
        where = f"{r['base_url']}  ({r['auth']})" if r["base_url"] else r["problem"]
        out(env, f"{r['name']:<{width}}  {state:<14}  {r['source']:<{source_width}}  {where}")
    out(env, f"\nprofile '{cfg.profile}' from {cfg.path}{'' if cfg.exists else ' (no such file)'}")


@command("path", into=CONFIG_COMMANDS)
def config_path(ctx: typer.Context, config: ConfigOpt = None) -> None:
    """Print the config file jobctl reads (it may not exist yet).

    \b
    Examples:
      jobctl config path
      $EDITOR "$(jobctl config path)"
    """
    from jobctl.config import config_location

    env: Environment = ctx.obj
    out(env, str(config_location(config, env.environ)[0]))


@command("show", into=CONFIG_COMMANDS)
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
    data = describe_profile(load(env, profile, config))
    if as_json:
        from jobctl.cli.output.views import dumps_json, is_terminal

        out(env, dumps_json(data, is_terminal(env.stdout)))
        return
    import yaml

    out(env, yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


@command("check", into=CONFIG_COMMANDS)
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
    cfg = load(env, profile, config, broken_as_errors=True)
    check = check_profile(cfg)
    if not check.problems:
        out(env, f"ok: {check.summary(cfg)}")
    finish(env, list(check.problems))


@command()
def sim(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (0 picks a free one).", metavar="PORT")
    ] = 8765,
    latency: Annotated[
        float, typer.Option("--latency", help="Seconds added to every answer.", metavar="SECONDS")
    ] = 0.0,
    speed: Annotated[
        float,
        typer.Option("--speed", help="Stretch (>1) or shrink (<1) job lifecycles.", metavar="FACTOR"),
    ] = 1.0,
    file_rate: Annotated[
        str | None,
        typer.Option(
            "--file-rate",
            help="Serve output files at most this fast, per connection (e.g. 2MB: per second).",
            metavar="SIZE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the provider simulator in the foreground (Ctrl-C stops it).

    It serves all five APIs on 127.0.0.1 with sample jobs whose lifecycle starts at
    their first request, writes a ready config file and prints how to use it.

    \b
    Examples:
      jobctl sim --port 8765
      # in another terminal, with the export line it prints:
      jobctl get krea 4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20 --json | jq -r .status
      jobctl sim --file-rate 2MB     # downloads slow enough to watch the bars
    """
    from jobctl.cli.simulator import run_simulator

    if latency < 0 or speed <= 0 or not 0 <= port <= 65535:
        raise UsageError("--latency must be >= 0, --speed > 0 and --port 0-65535")
    env: Environment = ctx.obj
    rate = None
    if file_rate is not None:
        from jobctl._units import parse_size

        try:
            rate = parse_size(file_rate)
        except ValueError as exc:
            raise UsageError(f"--file-rate {exc}") from None
    run_simulator(port, latency, speed, lambda text: out(env, text), rate)


@command()
def demo(
    ctx: typer.Context,
    speed: Annotated[
        float,
        typer.Option("--speed", help="Stretch (>1) or shrink (<1) the lifecycles.", metavar="FACTOR"),
    ] = 1.0,
) -> None:
    """Tour jobctl against the built-in simulator: no network, no keys.

    \b
    Examples:
      jobctl demo
      jobctl demo | cat        # plain output, as in a CI log
    """
    from jobctl.cli.simulator import run_demo

    if speed <= 0:
        raise UsageError("--speed must be > 0")
    env: Environment = ctx.obj
    run_demo(speed, lambda text: out(env, text))


def usage_error(env: Environment, exc: "typer.TyperException", argv: list[str]) -> int:
    """Typer's complaint about the command line as one ``error:`` line naming the help."""
    import re

    message = exc.format_message()
    if message.startswith("Usage:"):  # a group given no command: its help, as before
        env.stderr.write(message.rstrip() + "\n")
        return int(ExitCode.USAGE)
    message = re.sub(r"is not a valid (float|int|integer)\.?", _number_word, message)
    message = re.sub(r" \(Possible options: (.*)\)$", r" (did you mean \1?)", message)
    message = message[:1].lower() + message[1:].rstrip(".")
    env.report(UsageError(f"{message}; see {_command_path(exc, argv)} --help"))
    return int(getattr(exc, "exit_code", ExitCode.USAGE))


def _number_word(match: "re.Match[str]") -> str:
    return "is not a number" if match.group(1) == "float" else "is not a whole number"


def _command_path(exc: "typer.TyperException", argv: list[str]) -> str:
    """``jobctl get`` for an error in get's options, from Typer's context or else from argv."""
    path = getattr(getattr(exc, "ctx", None), "command_path", None)
    if isinstance(path, str) and path != "jobctl":
        return path
    words = ["jobctl"]
    if argv and (argv[0] in COMMANDS or argv[0] == "config"):
        words.append(argv[0])
        if argv[0] == "config" and len(argv) > 1 and argv[1] in CONFIG_COMMANDS:
            words.append(argv[1])
    return " ".join(words)


def run(argv: list[str], env: Environment | None = None) -> int:
    """Run one command line and return its exit code: the one error boundary."""
    # --debug is read here, before parsing, so even a parse-time crash shows its traceback.
    env = env or Environment(debug="--debug" in argv)
    try:
        if argv == ["--version"]:  # answered before Typer builds every command's parser
            out(env, VERSION_LINE)
            return 0
        # Not standalone: Typer's own usage errors come back as exceptions, to print below
        # in the same one-line style as every other error.
        code = build_app(argv)(args=argv, prog_name="jobctl", standalone_mode=False, obj=env)
        return code if isinstance(code, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except JobctlError as exc:
        env.report(exc)
        return int(exc.exit_code)
    except typer.TyperException as exc:  # unknown option, missing value, bad number...
        return usage_error(env, exc, argv)
    except KeyboardInterrupt:
        env.stderr.write("\ninterrupted\n")
        return int(ExitCode.INTERRUPTED)
    except (OutputClosed, BrokenPipeError):
        _silence_stdout()
        return int(ExitCode.OK)
    except Exception as exc:  # the last line of defence: one line, no traceback
        if env.debug:
            import traceback

            env.stderr.write(env.redactor("".join(traceback.format_exception(exc))))
        env.stderr.write(
            env.redactor(f"error: internal error: {type(exc).__name__}: {exc}") + "\n"
            "(run again with --debug for details and report it)\n"
        )
        return int(ExitCode.UPSTREAM)
    return 0


def tolerant_streams() -> None:
    """Text that stdout's or stderr's encoding cannot carry (``PYTHONIOENCODING=ascii``)
    prints as backslash escapes (``caf\\xe9``) instead of ending the run."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not stream.closed:
            stream.reconfigure(errors="backslashreplace")


def main() -> NoReturn:
    """Console entry point."""
    tolerant_streams()
    code = run(sys.argv[1:])
    # The process ends here: output is flushed and the journal closed, so the collector's
    # passes over every live object during interpreter shutdown buy nothing (~6 ms).
    gc.freeze()
    sys.exit(code)
