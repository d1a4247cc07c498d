"""`jobctl watch`: follow jobs until they finish, drawn from the library's watch events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from jobctl.cli.context import CLI_WORDING, Environment, refuse_empty_stdin
from jobctl.cli.options import ConfigOpt, DebugOpt, NoTrackOpt, ProfileOpt, RawOpt, RefsArg
from jobctl.errors import JobctlError, UsageError, WaitTimeout

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from jobctl._watch.events import Event, WatchSummary
    from jobctl._watch.run import Watch
    from jobctl.config import Config
    from jobctl.journal import Journal
    from jobctl.refs import RefList


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
            help="Seconds between polls of a job at first; grows while unchanged, up to "
            "--max-interval (a longer one is refused).",
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
    gallery_page: Annotated[
        str | None,
        typer.Option(
            "--gallery",
            help="When the watch ends, write an HTML page of the jobs and their outputs "
            "(with --download, from the files on disk).",
            metavar="FILE",
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
      jobctl watch - --until-done --download out --gallery out/index.html < refs.txt
      jobctl watch - --until-done --notify < refs.txt     # bell + desktop notice at the end
    """
    env: Environment = ctx.obj
    seconds = watch_timeout(timeout, interval, max_interval)
    page = gallery_path(env, gallery_page, until_done or seconds is not None)
    cfg = env.load_config(profile, config)
    book = env.journal(no_track)
    parsed, errors = refs_to_watch(env, list(refs or []), cfg, book)
    ndjson = as_json or raw
    with env.client(cfg, journal=book) as client:
        run = client.watch(
            parsed,
            until_done=until_done,
            interval=interval,
            max_interval=max_interval,
            timeout=seconds,
            download_to=download_dir,
        )
        summary, timed_out = show_watch(env, run, ndjson=ndjson, raw=raw)
        if page is not None:
            shown = client.gallery([*summary.jobs, *summary.failures], page, downloads=summary.downloads)
            env.note(f"gallery: {shown}")
    if notify:
        from jobctl.cli.output.notify import notice_text
        from jobctl.cli.output.notify import notify as ring

        ring(notice_text(summary), (env.stderr, env.stdout), env.environ)
    ended = [] if ndjson else list(summary.failures)  # NDJSON printed its errors as they came
    files = summary.downloads.failures if summary.downloads is not None else []
    late = [WaitTimeout(f"watch: {timed_out.message}")] if timed_out else []
    env.finish([*ended, *files, *late], [summary.exit_code, *(e.exit_code for e in errors)])


def show_watch(
    env: Environment, run: Watch, *, ndjson: bool = False, raw: bool = False, say: bool = False
) -> tuple[WatchSummary, WaitTimeout | None]:
    """Draw ``run``'s events: NDJSON, a live table on a terminal that can redraw, else a
    line per change. ``say``: notes and errors go to stdout too (the demo's tour).
    Returns how the watch ended, and its timeout when it ran out."""
    from jobctl._watch.events import WatchEnded
    from jobctl.cli.output.stream import LinesView, NdjsonView

    summary: WatchSummary | None = None
    timed_out: WaitTimeout | None = None
    notice = env.out if say else env.warn

    def consume(show: Callable[[Event], None]) -> None:
        nonlocal summary, timed_out
        try:
            for event in run:
                show(event)
                if isinstance(event, WatchEnded):
                    summary = event.summary
        except WaitTimeout as exc:
            timed_out = exc

    if ndjson:
        warn = env.out if say else (lambda message: env.report(JobctlError(message)))
        consume(NdjsonView(env.out, warn, notice, env.note, env.dumps, raw).show)
    elif env.live("stdout") and _table_fits(env, run):
        from jobctl.cli.output.live import LiveTable
        from jobctl.cli.output.progress import BarsProgress

        console = env.console("stdout")
        marks = env.unicode("stdout")
        bars = BarsProgress(console, marks, standalone=False) if run.downloads is not None else None
        with LiveTable.of(run, console, marks, bars) as table, env.warnings_under(table.notes.append):
            consume(table.show)
    else:
        consume(LinesView(env.out, notice, env.out if say else env.note, run.clock).show)
    assert summary is not None  # WatchEnded comes before the timeout and the end
    return summary, timed_out


def _table_fits(env: Environment, run: Watch) -> bool:
    """Whether the terminal is wide enough for the live table with every status whole;
    narrower, ``watch`` prints a line per change as it does in a pipe."""
    from jobctl.cli.output.live import LiveTable

    return LiveTable.fits(run.rows, env.columns, env.unicode("stdout"))


def watch_timeout(timeout: str | None, interval: float, max_interval: float) -> float | None:
    """--timeout in seconds (None: none), once it and the polling intervals are known to
    work (the library's own check, in the command line's words)."""
    from jobctl._units import parse_duration
    from jobctl._watch.schedule import check_timing

    try:
        seconds = parse_duration(timeout) if timeout is not None else None
    except ValueError as exc:
        raise UsageError(f"--timeout {exc}") from None
    check_timing(interval, max_interval, seconds, CLI_WORDING)
    return seconds


def gallery_path(env: Environment, page: str | None, ends: bool) -> Path | None:
    """--gallery's file, checked before anything is sent; only a watch that ends writes it."""
    if page is None:
        return None
    if not ends:
        raise UsageError("--gallery writes the page when the watch ends: add --until-done (or --timeout)")
    from jobctl._gallery import page_path

    return page_path(page, env.environ)


def refs_to_watch(
    env: Environment, given: list[str], cfg: Config, book: Journal
) -> tuple[RefList, list[UsageError]]:
    """The refs given (stdin's for ``-``), else the journal's unfinished jobs; the bad
    refs are reported here. Exits 2 when nothing is left to watch because of them."""
    parsed, errors = env.read_refs(given, cfg.registry)
    if not parsed and errors:
        env.finish(list(errors))  # nothing to watch: say why at once (exit 2)
    if not parsed:
        refuse_empty_stdin(given)
        parsed = tracked_refs(book)
    for error in errors:
        env.report(error)
    return parsed, errors


def tracked_refs(book: Journal) -> RefList:
    from jobctl.refs import Ref, RefList

    refs = RefList(Ref(e.job.provider, e.job.id) for e in book.entries() if not e.gone)
    if not refs:
        raise UsageError(
            "nothing to watch: no refs given and no unfinished tracked jobs; "
            "pass refs (jobctl watch krea:ID) or look one up first (jobctl get krea ID)"
        )
    return refs
