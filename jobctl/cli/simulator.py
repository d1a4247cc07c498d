"""`jobctl demo` and `jobctl sim`: the tool against the built-in simulator, offline."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from jobctl.cli.context import Environment
from jobctl.errors import UsageError

if TYPE_CHECKING:
    import threading

    from jobctl._download.run import DownloadResult
    from jobctl.client import Client
    from jobctl.model import Job
    from jobctl.sim.server import Simulator

Print = Callable[[str], None]


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
    if latency < 0 or speed <= 0 or not 0 <= port <= 65535:
        raise UsageError("--latency must be >= 0, --speed > 0 and --port 0-65535")
    env: Environment = ctx.obj
    rate = None
    if file_rate is not None:
        from jobctl._units import size_limit

        rate = size_limit(file_rate, "--file-rate")
    run_simulator(port, latency, speed, env.out, rate)


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
    if speed <= 0:
        raise UsageError("--speed must be > 0")
    run_demo(ctx.obj, speed)


def profile_yaml(sim: Simulator, name: str = "sim") -> str:
    """The profile as YAML in block style, so each line fits an 80-column terminal."""
    lines = [f"default_profile: {name}", "profiles:", f"  {name}:"]
    for provider, entry in sim.profile().items():
        lines.append(f"    {provider}:")
        lines += [f'      {key}: "{value}"' for key, value in entry.items()]
    return "\n".join(lines) + "\n"


def write_profile(sim: Simulator) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="jobctl-sim-"))
    path = folder / "config.yaml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(profile_yaml(sim))
    return path


def run_simulator(port: int, latency: float, speed: float, say: Print, rate: float | None = None) -> None:
    """Serve until Ctrl-C, SIGTERM or SIGHUP (its terminal closed); the config file it
    wrote goes with it. After SIGTERM or SIGHUP it ends as killed by that signal."""
    import shutil
    import threading

    from jobctl.sim.samples import LONG_RUNNING, load_samples
    from jobctl.sim.server import Simulator

    try:
        sim = Simulator(port=port, latency=latency)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; try --port 0") from None
    stop = threading.Event()
    serving = threading.Thread(target=sim.serve_forever, daemon=True)
    with stopped_by_signals(stop) as received:
        path = write_profile(sim)
        try:
            refs = load_samples(sim, speed, rate)
            serving.start()  # before the banner: what it says works once it is read
            say("jobctl simulator of krea, creatify, unstructured, gepetto and aisquare")
            say(f"serving on {sim.origin}")
            say("\nProfile (also written to the file below):\n")
            say(profile_yaml(sim))
            say("In another terminal:\n")
            say(f"  export JOBCTL_CONFIG={path}")
            for provider, job_id in refs:
                say(f"  jobctl get {provider} {job_id}")
            say(f"  jobctl download {refs[0][0]}:{refs[0][1]} -d out    # once it has succeeded")
            say("  jobctl ls --remote                # the krea and unstructured accounts' jobs")
            say(f"  jobctl cancel {LONG_RUNNING[0]}:{LONG_RUNNING[1]}")
            say("\nEach job's lifecycle starts at its first request. Ctrl-C stops the simulator.")
            stop.wait()
        finally:
            if serving.ident is not None:
                sim.stop()
            else:  # stopped before it served: stop() would wait for a loop that never ran
                sim.server.server_close()
            shutil.rmtree(path.parent, ignore_errors=True)
    if received:
        end_as_killed_by(received[0])


@contextmanager
def stopped_by_signals(stop: threading.Event) -> Iterator[list[int]]:
    """Within: SIGTERM and SIGHUP set ``stop`` (and are put in the list given) instead of
    ending the process at once, so what it wrote can be cleaned up."""
    import signal

    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        stop.set()

    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, on_signal) for signum in signals}  # no SIGHUP on Windows
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def end_as_killed_by(signum: int) -> NoReturn:
    """End the process as ``signum`` would have, so a shell or a supervisor sees that."""
    import signal

    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)  # where the signal does not end a process


def run_demo(env: Environment, speed: float) -> None:
    """Watch the sample jobs live to the end, then show a failed job, some JSON and a download."""
    from jobctl.cli.output.views import jobs_text
    from jobctl.cli.watch import show_watch
    from jobctl.client import Client
    from jobctl.refs import Ref
    from jobctl.sim.samples import load_samples
    from jobctl.sim.server import Simulator

    say = env.out
    sim = Simulator(clock=env.clock).start()  # kept up to the end: the tour ends with a download
    try:
        refs = [Ref(p, i) for p, i in load_samples(sim, speed, rate=DEMO_RATE / speed)]
        say(f"jobctl demo: {len(refs)} sample jobs on a local simulator of five providers.")
        say("No network, no keys.\n")
        say(f"$ jobctl watch {refs[0]} ... --until-done\n")
        with Client(providers=sim.profile(), env={}, clock=env.clock) as client:
            run = client.watch(refs, interval=0.5, max_interval=1.5, timeout=120 * speed)
            summary, _ = show_watch(env, run, say=True)
            jobs = list(summary.jobs)
            failed = next(j for j in jobs if j.status.value == "failed")
            say(f"\n$ jobctl get {failed.provider} {failed.id}\n")
            say(jobs_text(env, [failed], many=False))
            first = jobs[0]
            say(f"\n$ jobctl get {first.provider} {first.id} --json\n")
            say(env.dumps(first.to_dict(), pretty=True))
            show_list_and_cancel(env, client)
            folder, files = show_download(env, client, jobs)
    finally:
        sim.stop()
    say("\nThe same with your own keys:\n")
    say("  jobctl get krea <job id>                  # one job, detail view")
    say("  jobctl get krea:<id> gepetto:<id> --json  # several, as a JSON array")
    say("  jobctl watch --until-done                 # the unfinished jobs you looked up")
    say("  jobctl download krea:<id> -d out          # its files, into ./out")
    say("\nwith a config file at `jobctl config path`, for example:\n")
    say(CONFIG_SNIPPET)
    show_gallery(env, jobs, folder, files)


DEMO_RATE = 3_000_000  # bytes per second per file: slow enough to watch the bars move


def show_list_and_cancel(env: Environment, client: Client) -> None:
    """The Krea account's jobs as the provider lists them, then one still going cancelled."""
    from jobctl.cli.output.views import jobs_text
    from jobctl.sim.samples import LONG_RUNNING

    provider, job_id, _ = LONG_RUNNING
    env.out(f"\n$ jobctl ls --remote {provider}\n")
    env.out(jobs_text(env, client.list_jobs(provider), many=True))
    env.out(f"\n$ jobctl cancel {provider}:{job_id}\n")
    env.out(jobs_text(env, [client.cancel(provider, job_id)], many=False))


def show_download(env: Environment, client: Client, jobs: list[Job]) -> tuple[Path, DownloadResult]:
    """Download the image and video jobs' files into a temporary folder, which stays for
    the gallery at the end."""
    import tempfile

    from jobctl.cli.output.progress import download_view

    wanted = [
        j for j in jobs if j.status.value == "succeeded" and j.provider in ("krea", "creatify", "gepetto")
    ]
    folder = Path(tempfile.mkdtemp(prefix="jobctl-demo-"))
    refs = " \\\n    ".join(f"{j.provider}:{j.id}" for j in wanted)  # one ref a line: 80 columns
    env.out(f"\n$ jobctl download {refs} \\\n    -d {folder}\n")
    view = download_view(env, "stdout", lambda line: env.out(_fit(line.replace(f"{folder}{os.sep}", ""))))
    with view:
        result = client.download([(j.provider, j.id) for j in wanted], folder, progress=view.show)
    for error in result.failures:
        env.out(f"error: {error.message}")
    return folder, result


def show_gallery(env: Environment, jobs: list[Job], folder: Path, files: DownloadResult) -> None:
    """The tour's end: a page of every job, written beside the files it downloaded (in
    the folder it leaves behind), so the page shows them once the simulator is gone."""
    from jobctl.client import Client

    with Client(providers={}, env={}, clock=env.clock) as client:
        page = client.gallery(jobs, folder / "gallery.html", downloads=files)
    env.out(f"\n$ jobctl gallery {jobs[0].provider}:{jobs[0].id} ... \\\n    -o {page}\n{page}\n")
    env.out("Open it in a browser: a card per job, the files above shown from their folder")
    env.out("(the folder stays for the page; remove it when you are done).")


def _fit(line: str) -> str:
    """``REF: FILE (SIZE)`` (FILE inside the -d folder shown above) on two lines when one
    would pass 80 columns."""
    ref, sep, rest = line.partition(": ")
    return f"{ref}:\n    {rest}" if sep and len(line) > 80 else line


CONFIG_SNIPPET = """\
profiles:
  default:
    krea:     {api_key: "${KREA_API_KEY}"}
    creatify: {api_id: "${CREATIFY_API_ID}", api_key: "${CREATIFY_API_KEY}"}
    gepetto:  {api_key: "${GEPETTO_API_KEY}"}"""
