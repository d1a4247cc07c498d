"""`jobctl demo` and `jobctl sim`: the tool against the built-in simulator, offline."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from jobctl.model import Job
from jobctl.sim.samples import load_samples
from jobctl.sim.server import Simulator

Print = Callable[[str], None]


def profile_yaml(sim: Simulator, name: str = "sim") -> str:
    """The profile as YAML in block style, so each line fits an 80-column terminal."""
    lines = [f"default_profile: {name}", "profiles:", f"  {name}:"]
    for provider, entry in sim.profile().items():
        lines.append(f"    {provider}:")
        lines += [f'      {key}: "{value}"' for key, value in entry.items()]
    return "\n".join(lines) + "\n"


def write_profile(sim: Simulator) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="jobctl-sim-"))
    path = folder / "config.yaml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(profile_yaml(sim))
    return path


def run_simulator(port: int, latency: float, speed: float, say: Print, rate: float | None = None) -> None:
    from jobctl.errors import UsageError

    try:
        sim = Simulator(port=port, latency=latency)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; try --port 0") from None
    refs = load_samples(sim, speed, rate)
    path = write_profile(sim)
    say("jobctl simulator of krea, creatify, unstructured, gepetto and aisquare")
    say(f"serving on {sim.origin}")
    say("\nProfile (also written to the file below):\n")
    say(profile_yaml(sim))
    say("In another terminal:\n")
    say(f"  export JOBCTL_CONFIG={path}")
    for provider, job_id in refs:
        say(f"  jobctl get {provider} {job_id}")
    say(f"  jobctl download {refs[0][0]}:{refs[0][1]} -d out    # once it has succeeded")
    say("\nEach job's lifecycle starts at its first request. Ctrl-C stops the simulator.")
    stop = threading.Event()
    thread = threading.Thread(target=sim.serve_forever, daemon=True)
    thread.start()
    try:
        stop.wait()
    finally:
        sim.stop()
        path.unlink(missing_ok=True)
        path.parent.rmdir()


def run_demo(speed: float, say: Print) -> None:
    """Watch the sample jobs live to the end, then show a failed job and some JSON."""
    from jobctl.cli.output.live import watch_refs
    from jobctl.cli.output.views import dumps_json, jobs_text, live_display
    from jobctl.client import Client
    from jobctl.model import job_to_dict
    from jobctl.refs import Ref

    sim = Simulator().start()  # kept up to the end: the tour ends with a download
    try:
        refs = [Ref(p, i) for p, i in load_samples(sim, speed, rate=DEMO_RATE / speed)]
        say(f"jobctl demo: {len(refs)} sample jobs on a local simulator of five providers.")
        say("No network, no keys.\n")
        say(f"$ jobctl watch {refs[0]} ... --until-done\n")
        with Client(providers=sim.profile(), env={}) as client:
            watch_refs(
                client,
                refs,
                mode="live" if live_display() else "lines",
                until_done=True,
                interval=0.5,
                max_interval=1.5,
                timeout=120 * speed,
                emit=say,
                warn=say,
                record=lambda jobs: None,
            )
            jobs = [j for j in client.fetch_all(refs) if isinstance(j, Job)]
        failed = next(j for j in jobs if j.status.value == "failed")
        say(f"\n$ jobctl get {failed.provider} {failed.id}\n")
        say(jobs_text([failed], many=False))
        first = jobs[0]
        say(f"\n$ jobctl get {first.provider} {first.id} --json\n")
        say(dumps_json(job_to_dict(first), pretty=True))
        show_download(sim, jobs, say)
    finally:
        sim.stop()
    say("\nThe same with your own keys:\n")
    say("  jobctl get krea <job id>                  # one job, detail view")
    say("  jobctl get krea:<id> gepetto:<id> --json  # several, as a JSON array")
    say("  jobctl watch --until-done                 # the unfinished jobs you looked up")
    say("  jobctl download krea:<id> -d out          # its files, into ./out")
    say("\nwith a config file at `jobctl config path`, for example:\n")
    say(CONFIG_SNIPPET)


DEMO_RATE = 3_000_000  # bytes per second per file: slow enough to watch the bars move


def show_download(sim: Simulator, jobs: list[Job], say: Print) -> None:
    """Download the image and video jobs' files into a temporary folder, then remove it."""
    import shutil

    from jobctl.cli.output.progress import download_jobs
    from jobctl.cli.output.views import live_display, make_console
    from jobctl.config import inline_config

    wanted = [
        j for j in jobs if j.status.value == "succeeded" and j.provider in ("krea", "creatify", "gepetto")
    ]
    folder = Path(tempfile.mkdtemp(prefix="jobctl-demo-"))
    refs = " \\\n    ".join(f"{j.provider}:{j.id}" for j in wanted)  # one ref a line: 80 columns
    say(f"\n$ jobctl download {refs} \\\n    -d {folder}\n")
    try:
        console = make_console() if live_display() else None
        cfg = inline_config(sim.profile(), env={})
        _, errors = download_jobs(
            wanted,
            folder,
            cfg,
            note=lambda line: say(_fit(line.replace(f"{folder}{os.sep}", ""))),
            console=console,
        )
        for error in errors:
            say(f"error: {error.message}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    say(f"(the demo has removed {folder} again)")


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
