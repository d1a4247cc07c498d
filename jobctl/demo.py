"""`jobctl demo` and `jobctl sim`: the tool against the built-in simulator, offline."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from jobctl.config import Config
from jobctl.model import Job
from jobctl.sim.samples import load_samples
from jobctl.sim.server import Simulator

Print = Callable[[str], None]


def sim_config(sim: Simulator) -> Config:
    """An in-memory profile pointing every provider at ``sim``."""
    return Config(
        path=Path("<built-in demo profile>"),
        exists=True,
        path_source="demo",
        profile="demo",
        profile_source="demo",
        profiles={"demo": sim.profile()},
        env={},
    )


def profile_yaml(sim: Simulator, name: str = "sim") -> str:
    lines = [f"default_profile: {name}", "profiles:", f"  {name}:"]
    for provider, entry in sim.profile().items():
        fields = ", ".join(f'{k}: "{v}"' for k, v in entry.items())
        lines.append(f"    {provider}: {{{fields}}}")
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
    say(f"jobctl simulator serving krea, creatify, unstructured, gepetto, aisquare on {sim.origin}")
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
    from jobctl.fetch import Fetcher
    from jobctl.model import job_to_dict
    from jobctl.refs import Ref
    from jobctl.render import dumps_json, jobs_text, live_display
    from jobctl.watch_display import watch_refs

    sim = Simulator().start()  # kept up to the end: the tour ends with a download
    try:
        refs = [Ref(p, i) for p, i in load_samples(sim, speed, rate=DEMO_RATE / speed)]
        say(
            f"jobctl demo: {len(refs)} sample jobs on a local simulator of all five providers "
            "(no network, no keys)."
        )
        say("$ jobctl watch " + " ".join(str(r) for r in refs[:2]) + " ... --until-done\n")
        with Fetcher(sim_config(sim)) as fetcher:
            watch_refs(
                fetcher,
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
            jobs = [j for j in fetcher.fetch_all(refs) if isinstance(j, Job)]
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
    say("  jobctl get krea <job id>                     # one job, detail view")
    say("  jobctl get krea:<id> gepetto:<id> --json     # several, as a JSON array")
    say("  jobctl watch --until-done                    # every unfinished job you looked up")
    say("  jobctl download krea:<id> -d out             # its files, into ./out")
    say("\nwith a config file at `jobctl config path`, for example:\n")
    say(CONFIG_SNIPPET)


DEMO_RATE = 3_000_000  # bytes per second per file: slow enough to watch the bars move


def show_download(sim: Simulator, jobs: list[Job], say: Print) -> None:
    """Download the image and video jobs' files into a temporary folder, then remove it."""
    import shutil

    from jobctl.download_display import download_jobs
    from jobctl.render import live_display, make_console

    wanted = [
        j for j in jobs if j.status.value == "succeeded" and j.provider in ("krea", "creatify", "gepetto")
    ]
    folder = Path(tempfile.mkdtemp(prefix="jobctl-demo-"))
    say(f"\n$ jobctl download {' '.join(f'{j.provider}:{j.id}' for j in wanted)} -d {folder}\n")
    try:
        console = make_console() if live_display() else None
        _, errors = download_jobs(wanted, folder, sim_config(sim), note=say, console=console)
        for error in errors:
            say(f"error: {error.message}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    say(f"(the demo has removed {folder} again)")


CONFIG_SNIPPET = """\
profiles:
  default:
    krea:     {api_key: "${KREA_API_KEY}"}
    creatify: {api_id: "${CREATIFY_API_ID}", api_key: "${CREATIFY_API_KEY}"}
    gepetto:  {api_key: "${GEPETTO_API_KEY}"}"""
