"""`jobctl demo` and `jobctl sim`: the tool against the built-in simulator, offline."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Sequence
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


def run_simulator(port: int, latency: float, speed: float, say: Print) -> None:
    from jobctl.errors import UsageError

    try:
        sim = Simulator(port=port, latency=latency)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; try --port 0") from None
    refs = load_samples(sim, speed)
    path = write_profile(sim)
    say(f"jobctl simulator serving krea, creatify, unstructured, gepetto, aisquare on {sim.origin}")
    say("\nProfile (also written to the file below):\n")
    say(profile_yaml(sim))
    say("In another terminal:\n")
    say(f"  export JOBCTL_CONFIG={path}")
    for provider, job_id in refs:
        say(f"  jobctl get {provider} {job_id}")
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
    """Fetch the sample jobs at three moments of their lives, then show a detail and JSON."""
    from jobctl.fetch import Fetcher
    from jobctl.model import job_to_dict
    from jobctl.refs import Ref
    from jobctl.render import dumps_json, is_terminal, table_plain

    with Simulator() as sim:
        refs = [Ref(p, i) for p, i in load_samples(sim, speed)]
        with Fetcher(sim_config(sim)) as fetcher:

            def snapshot(title: str) -> list[Job]:
                jobs = [j for j in fetcher.fetch_all(refs) if isinstance(j, Job)]
                say(f"\n== {title}\n")
                say(_table(jobs) if is_terminal() else table_plain(jobs))
                return jobs

            say("jobctl demo: 8 sample jobs on a local simulator of all five providers (no network).")
            say("$ jobctl get krea:ID creatify:ID unstructured:ID gepetto:ID aisquare:ID ...")
            snapshot("just submitted")
            sim.advance(4 * speed)
            snapshot("4 s later")
            sim.advance(20 * speed)
            jobs = snapshot("all done")
        failed = next(j for j in jobs if j.status.value == "failed")
        say(f"\n$ jobctl get {failed.provider} {failed.id}\n")
        say(_detail(failed))
        say(f"\n$ jobctl get {jobs[0].provider} {jobs[0].id} --json\n")
        say(dumps_json(job_to_dict(jobs[0]), pretty=True))
    say("\nWith your own keys: jobctl get krea <job id>   (keys: see `jobctl config path`)")


def _table(jobs: Sequence[Job]) -> str:
    from jobctl.render import make_console, table_rich

    console = make_console()
    with console.capture() as cap:
        console.print(table_rich(jobs))
    return cap.get().rstrip("\n")


def _detail(job: Job) -> str:
    from jobctl.render import detail_plain, detail_rich, is_terminal, make_console

    if not is_terminal():
        return detail_plain(job)
    console = make_console()
    with console.capture() as cap:
        console.print(detail_rich(job))
    return cap.get().rstrip("\n")
