"""`jobctl gallery`: one HTML page of jobs and their outputs, to look at a batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from jobctl.cli.context import Environment, refuse_empty_stdin
from jobctl.cli.options import ConfigOpt, DebugOpt, NoTrackOpt, ProfileOpt, RefsArg
from jobctl.errors import JobctlError, UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from jobctl.client import Client
    from jobctl.journal import Entry, Journal
    from jobctl.model import Job
    from jobctl.refs import Ref

RECENT = 24 * 3600  # seconds: without refs or --all, the jobs seen in the last day

OutputOpt = Annotated[
    str, typer.Option("--output", "-o", help="The HTML file to write (folders are created).", metavar="FILE")
]


def gallery(
    ctx: typer.Context,
    refs: RefsArg = None,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="With no refs: every tracked job, not only the last day's.")
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Show the journal's last known state; send nothing.")
    ] = False,
    output: OutputOpt = "jobctl-gallery.html",
    open_page: Annotated[bool, typer.Option("--open", help="Open it in the desktop's browser.")] = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
    no_track: NoTrackOpt = False,
) -> None:
    """Write one self-contained HTML page of jobs and their outputs, and print its path.

    A card per job: status, kind, times, error, results, and its outputs (images as
    thumbnails, video and audio as players, other files as links), newest first, with
    filters by status and provider. Files fetched by jobctl download or watch --download
    are shown from the disk, by paths relative to the page. With no refs: the jobs this
    machine looked at in the last day (--all: every tracked job). A ref that cannot be
    read gets a card with its error; the exit code is as get's.

    \b
    Examples:
      jobctl gallery krea:ID1 krea:ID2 creatify:ID3 --open
      jobctl gallery -o out/index.html             # the jobs of the last day
      jobctl gallery --all --offline -o all.html   # every tracked job; nothing sent
      jq -r '.[] | "\\(.provider):\\(.id)"' jobs.json | jobctl gallery - -o batch.html
    """
    from jobctl._gallery import page_path
    from jobctl.refs import Ref

    env: Environment = ctx.obj
    page = page_path(output, env.environ)  # before anything is sent
    if offline and (no_track or env.no_track):
        raise UsageError("--offline reads the job journal, which --no-track (or JOBCTL_NO_TRACK) turns off")
    cfg = env.load_config(profile, config)
    book = env.journal(no_track)
    given = list(refs or [])
    parsed, errors = env.read_refs(given, cfg.registry)
    shown: list[Job | JobctlError]
    with env.client(cfg, journal=book) as client:
        if parsed or errors:
            shown = list(book.last_known(parsed)) if offline else fetch(client, book, parsed)
        else:
            refuse_empty_stdin(given)
            entries = recent_entries(book, show_all, env.clock.time())
            if offline:
                shown = [e.shown_job for e in entries]
            else:  # a job the provider already said it no longer knows is not asked again
                live = [Ref(e.job.provider, e.job.id) for e in entries if not e.gone]
                shown = [*fetch(client, book, live), *(e.shown_job for e in entries if e.gone)]
        path = client.gallery([*shown, *errors], page)
    env.out(str(path))
    if open_page:
        open_in_browser(env, path)
    env.finish([*errors, *(o for o in shown if isinstance(o, JobctlError))])


def fetch(client: Client, book: Journal, refs: list[Ref]) -> list[Job | JobctlError]:
    """The jobs as they are now, remembered in the journal as `get` remembers them."""
    outcomes = client.get_many(refs)
    book.record_outcomes(outcomes)
    return outcomes


def recent_entries(book: Journal, show_all: bool, now: float) -> list[Entry]:
    """The tracked jobs to show when no refs are given: those seen in the last day, or all."""
    entries = [e for e in book.entries(include_done=True) if show_all or e.last_seen >= now - RECENT]
    if not entries:
        which = "no tracked jobs" if show_all else "no job seen in the last day (--all: every tracked one)"
        hint = "pass refs, e.g. jobctl gallery krea:ID"
        raise UsageError(f"nothing to show: no refs given and {which}; {hint}")
    return entries


def open_in_browser(env: Environment, path: Path) -> None:
    """The page in the desktop's browser; where there is none, a note and no error."""
    import webbrowser

    try:
        opened = webbrowser.open(path.as_uri())
    except (webbrowser.Error, OSError):
        opened = False
    if not opened:
        env.note("no browser to open it with here; open the file above in one")
