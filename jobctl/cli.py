"""The command line: parse options, call one library function, render the result.

``main`` is the only error boundary: a JobctlError becomes one stderr line and its
exit code; anything unexpected becomes one line too (with a traceback under --debug).
"""

import gc
import inspect
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from jobctl import __version__
from jobctl.errors import ExitCode, JobctlError, UsageError, most_severe

if TYPE_CHECKING:
    from jobctl.config import Config
    from jobctl.fetch import Fetcher
    from jobctl.journal import Journal
    from jobctl.model import Job
    from jobctl.refs import Ref

F = TypeVar("F", bound=Callable[..., None])

# Typer builds the parser of every registered command on each run, so the commands are
# collected here and each run registers only what its argv can reach (see build_app).
COMMANDS: dict[str, Callable[..., None]] = {}
CONFIG_COMMANDS: dict[str, Callable[..., None]] = {}
_SETTINGS: dict[str, Any] = {
    "no_args_is_help": True,
    "add_completion": False,
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
    app = typer.Typer(name="jobctl", **_SETTINGS)
    app.callback()(_root)
    listing = first in ("--help", "-h")
    known = first in COMMANDS or first == "config"
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


# --- options shared by every command that reads jobs ---------------------------------

ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", "-p", help="Profile in the config file [env: JOBCTL_PROFILE].", show_default=False
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
    ),
]

_debug = False


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


def out(text: str) -> None:
    """Write to stdout, secrets scrubbed; a closed pipe (``| head -1``) ends quietly."""
    from jobctl.redaction import SECRETS

    try:
        sys.stdout.write(SECRETS(text) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(int(ExitCode.OK)) from None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def warn(message: str) -> None:
    from jobctl.redaction import SECRETS
    from jobctl.render import clean

    sys.stderr.write(f"warning: {SECRETS(clean(message))}\n")


def report(error: JobctlError) -> None:
    from jobctl.redaction import SECRETS
    from jobctl.render import clean

    for line in error.message.splitlines() or [""]:
        sys.stderr.write(f"error: {SECRETS(clean(line))}\n")
    sys.stderr.flush()


def load(profile: str | None, config: str | None) -> "Config":
    from jobctl.config import load_config

    cfg = load_config(config, profile)
    for message in cfg.warnings:
        warn(message)
    return cfg


def fetcher(cfg: "Config", debug: bool) -> "Fetcher":
    from jobctl.fetch import Fetcher

    if debug:
        from jobctl.http import stderr_log

        return Fetcher(cfg, stderr_log)
    return Fetcher(cfg)


def show_jobs(jobs: "list[Job]", *, as_json: bool, raw: bool, many: bool) -> None:
    """One job: detail view / object. Several: table / array."""
    from jobctl import render

    if as_json or raw:
        from jobctl.model import job_to_dict

        data = [job_to_dict(j, raw=raw) for j in jobs]
        pretty = render.is_terminal()
        if many:
            out(render.dumps_json(data, pretty))
        elif jobs:
            out(render.dumps_json(data[0], pretty))
        return
    if jobs:
        out(render.jobs_text(jobs, many))


def journal(no_track: bool = False) -> "Journal":
    from jobctl.journal import Journal, NoJournal, tracking_disabled

    return NoJournal() if tracking_disabled(no_track) else Journal(warn=warn)


def read_refs(args: list[str]) -> "tuple[list[Ref], list[UsageError]]":
    """Refs from arguments, '-' meaning stdin; no arguments and a piped stdin also reads it."""
    from jobctl.refs import parse_refs

    if not args and not sys.stdin.isatty():
        args = ["-"]
    return parse_refs(args, stdin_lines() if "-" in args else None)


def stdin_lines() -> list[str]:
    if sys.stdin is None or sys.stdin.closed:
        return []
    try:
        return sys.stdin.read().splitlines()
    except (OSError, ValueError):
        return []


def finish(errors: list[JobctlError], extra: list[ExitCode] | None = None) -> NoReturn:
    for error in errors:
        report(error)
    raise typer.Exit(int(most_severe([e.exit_code for e in errors] + (extra or []))))


# --- commands ---------------------------------------------------------------------------


@command()
def get(
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

    parsed, errors = read_refs(list(refs or []))
    if not parsed and not errors:
        raise UsageError("no job refs given; e.g. jobctl get krea ID  (see jobctl get --help)")
    cfg = load(profile, config)
    with fetcher(cfg, debug) as f:
        outcomes = f.fetch_all(parsed)
    jobs = [o for o in outcomes if isinstance(o, Job)]
    failed = [o for o in outcomes if isinstance(o, JobctlError)]
    show_jobs(jobs, as_json=as_json, raw=raw, many=len(parsed) + len(errors) > 1)
    journal(no_track).record(jobs)  # after the answer: a locked journal must not delay it
    extra = [ExitCode.JOB_FAILED] if exit_status and any(j.done and not j.status.ok for j in jobs) else []
    finish([*errors, *failed], extra)


@command()
def watch(
    refs: RefsArg = None,
    until_done: Annotated[
        bool, typer.Option("--until-done", help="Return once every job is done (exit 0 if all succeeded).")
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", help="Seconds between polls of a job at first; grows while unchanged."),
    ] = 2.0,
    max_interval: Annotated[
        float, typer.Option("--max-interval", help="Longest gap between polls of one job, in seconds.")
    ] = 10.0,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            help="Give up after this long (90, 90s, 10m, 1h): exit 124.",
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
      jobctl watch - --until-done --notify < refs.txt     # bell + desktop notice at the end
    """
    from jobctl.errors import WatchTimeout
    from jobctl.render import live_display
    from jobctl.watch import parse_duration_option
    from jobctl.watch_display import watch_refs

    try:
        seconds = parse_duration_option(timeout) if timeout is not None else None
    except ValueError as exc:
        raise UsageError(f"--timeout {exc}") from None
    if not interval > 0 or not max_interval > 0:
        raise UsageError("--interval and --max-interval must be positive numbers of seconds, e.g. 2 or 0.5")
    parsed, errors = read_refs(list(refs or []))
    book = journal(no_track)
    if not parsed and not errors:
        parsed = tracked_refs(book)
    cfg = load(profile, config)
    for error in errors:
        report(error)
    mode = "ndjson" if as_json or raw else "live" if live_display() else "lines"
    tally = None
    if notify:
        from jobctl.notify import Tally

        tally = Tally()
    try:
        with fetcher(cfg, debug) as f:
            code, failures = watch_refs(
                f,
                parsed,
                mode=mode,
                until_done=until_done,
                interval=interval,
                max_interval=max_interval,
                timeout=seconds,
                emit=out,
                warn=lambda message: report(JobctlError(message)),
                record=book.record if tally is None else tally.wrap(book.record),
                raw=raw,
                history=[e.job for e in book.entries(include_done=True)],
            )
    except WatchTimeout:
        if tally is not None:
            _notify(tally.summary(len(parsed)))
        raise
    if tally is not None:
        _notify(tally.summary(len(parsed), len(failures)))
    finish([] if mode == "ndjson" else failures, [code, *(e.exit_code for e in errors)])


def _notify(body: str) -> None:
    from jobctl.notify import notify

    notify(body)


def tracked_refs(book: "Journal") -> "list[Ref]":
    from jobctl.refs import Ref

    refs = [Ref(e.job.provider, e.job.id) for e in book.entries()]
    if not refs:
        raise UsageError(
            "nothing to watch: no refs given and no unfinished tracked jobs; "
            "pass refs (jobctl watch krea:ID) or look one up first (jobctl get krea ID)"
        )
    return refs


@command("ls")
def list_jobs(
    show_all: Annotated[bool, typer.Option("--all", "-a", help="Include finished jobs.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the jobs this machine has looked at, with their last known state.

    \b
    Examples:
      jobctl ls
      jobctl ls --all --json | jq -r '.[] | select(.status == "failed") | .id'
    """
    from jobctl import render
    from jobctl.model import job_to_dict

    jobs = [e.job for e in journal().entries(include_done=show_all)]
    if as_json:
        out(render.dumps_json([job_to_dict(j) for j in jobs], render.is_terminal()))
    elif not jobs:
        out("no tracked jobs" if show_all else "no unfinished tracked jobs (jobctl ls --all shows every one)")
    else:
        show_jobs(jobs, as_json=False, raw=False, many=True)


@command()
def forget(
    refs: RefsArg = None,
    done: Annotated[bool, typer.Option("--done", help="Forget every finished job.")] = False,
) -> None:
    """Remove jobs from the job journal.

    \b
    Examples:
      jobctl forget krea:4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20
      jobctl forget --done
    """
    parsed, errors = read_refs(list(refs)) if refs else ([], [])
    if not parsed and not errors and not done:
        raise UsageError("say what to forget: refs (jobctl forget krea:ID) or --done")
    removed = journal().forget([(r.provider, r.id) for r in parsed], done=done)
    out(f"forgot {removed} job{'' if removed == 1 else 's'}")
    finish(list(errors))


@command()
def providers(
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
    from jobctl.inventory import provider_rows

    cfg = load(profile, config)
    rows = provider_rows(cfg)
    if as_json:
        from jobctl.render import dumps_json, is_terminal

        out(dumps_json(rows, is_terminal()))
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        state = "configured" if r["configured"] else "not configured"
        out(f"{r['name']:<{width}}  {state:<14}  {r['base_url']}  ({r['auth']})")
    out(f"\nprofile '{cfg.profile}' from {cfg.path}{'' if cfg.exists else ' (no such file)'}")


@command("path", into=CONFIG_COMMANDS)
def config_path(config: ConfigOpt = None) -> None:
    """Print the config file jobctl reads (it may not exist yet).

    \b
    Examples:
      jobctl config path
      $EDITOR "$(jobctl config path)"
    """
    from jobctl.config import config_location

    out(str(config_location(config, os.environ)[0]))


@command("show", into=CONFIG_COMMANDS)
def config_show(profile: ProfileOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Show the selected profile as jobctl resolves it, every secret redacted.

    \b
    Examples:
      jobctl config show
      jobctl config show -p work --json
    """
    from jobctl.inventory import describe_profile

    cfg = load(profile, config)
    data = describe_profile(cfg)
    if as_json:
        from jobctl.render import dumps_json, is_terminal

        out(dumps_json(data, is_terminal()))
        return
    import yaml

    out(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


@command("check", into=CONFIG_COMMANDS)
def config_check(profile: ProfileOpt = None, config: ConfigOpt = None) -> None:
    """Validate the config file and the selected profile's credentials (sends nothing).

    Exits 0 when every provider named in the profile is usable, 2 otherwise.

    \b
    Examples:
      jobctl config check
      jobctl config check --config ./config.yaml -p work
    """
    from jobctl.errors import ConfigError

    cfg = load(profile, config)
    problems: list[JobctlError] = []
    usable = []
    for name in cfg.entries or {}:
        try:
            cfg.settings_for(name)
            usable.append(name)
        except ConfigError as exc:
            problems.append(exc)
    where = f"{cfg.path}, profile '{cfg.profile}'" if cfg.exists else f"no config file at {cfg.path}"
    if not cfg.entries and not problems:
        out(f"ok: {where}: no providers in this profile; environment variables will be used")
    elif not problems:
        out(f"ok: {where}: {', '.join(usable)} configured")
    finish(problems)


@command()
def sim(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
    latency: Annotated[float, typer.Option("--latency", help="Seconds added to every answer.")] = 0.0,
    speed: Annotated[
        float, typer.Option("--speed", help="Stretch (>1) or shrink (<1) job lifecycles.")
    ] = 1.0,
) -> None:
    """Run the provider simulator in the foreground (Ctrl-C stops it).

    It serves all five APIs on 127.0.0.1 with sample jobs whose lifecycle starts at
    their first request, writes a ready config file and prints how to use it.

    \b
    Examples:
      jobctl sim --port 8765
      # in another terminal, with the export line it prints:
      jobctl get krea 4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20 --json | jq -r .status
    """
    from jobctl.demo import run_simulator

    if latency < 0 or speed <= 0 or not 0 <= port <= 65535:
        raise UsageError("--latency must be >= 0, --speed > 0 and --port 0-65535")
    run_simulator(port, latency, speed, out)


@command()
def demo(
    speed: Annotated[
        float, typer.Option("--speed", help="Stretch (>1) or shrink (<1) the lifecycles.")
    ] = 1.0,
) -> None:
    """Tour jobctl against the built-in simulator: no network, no keys.

    \b
    Examples:
      jobctl demo
      jobctl demo | cat        # plain output, as in a CI log
    """
    from jobctl.demo import run_demo

    if speed <= 0:
        raise UsageError("--speed must be > 0")
    run_demo(speed, out)


def run(argv: list[str]) -> int:
    """Run one command line and return its exit code: the one error boundary."""
    global _debug
    _debug = "--debug" in argv
    try:
        if argv == ["--version"]:  # answered before Typer builds every command's parser
            out(VERSION_LINE)
            return 0
        build_app(argv)(args=argv, prog_name="jobctl")
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except JobctlError as exc:
        report(exc)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        _silence_stdout()
        return int(ExitCode.OK)
    except Exception as exc:  # the last line of defence: one line, no traceback
        from jobctl.redaction import SECRETS

        if _debug:
            import traceback

            sys.stderr.write(SECRETS("".join(traceback.format_exception(exc))))
        sys.stderr.write(
            SECRETS(f"error: internal error: {type(exc).__name__}: {exc}") + "\n"
            "(run again with --debug for details and report it)\n"
        )
        return int(ExitCode.UPSTREAM)
    return 0


def main() -> NoReturn:
    """Console entry point."""
    code = run(sys.argv[1:])
    # The process ends here: output is flushed and the journal closed, so the collector's
    # passes over every live object during interpreter shutdown buy nothing (~6 ms).
    gc.freeze()
    sys.exit(code)
