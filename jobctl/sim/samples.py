"""The sample jobs `jobctl sim` serves and `jobctl demo` watches.

Each job's clock starts at its first request, so a fresh `get` always sees the
lifecycle from its beginning; ``speed`` shortens or stretches every phase.
"""

from __future__ import annotations

from datetime import timedelta

from jobctl.sim.files import picture
from jobctl.sim.payloads import SIMULATED
from jobctl.sim.server import Simulator, Step

# (provider, id, [(status word, seconds), ...], AISquare events by phase)
SAMPLES: list[tuple[str, str, list[tuple[str, float]]]] = [
    (
        "krea",
        "4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20",
        [("queued", 1.5), ("processing", 2), ("sampling", 3), ("completed", 0)],
    ),
    ("krea", "9b1f6c1e-3f0a-4c55-9d1e-7f2d8a0c4b11", [("backlogged", 2), ("processing", 4), ("failed", 0)]),
    (
        "creatify",
        "2f8c6e1a-5b7d-4e3f-9a21-6c4b8d0e1f32",
        [("pending", 1), ("in_queue", 2), ("generating", 6), ("done", 0)],
    ),
    ("creatify", "7a3d9e0b-1c2f-4a5b-8e6d-0f1a2b3c4d5e", [("pending", 2), ("running", 3), ("rejected", 0)]),
    (
        "unstructured",
        "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        [("SCHEDULED", 2), ("IN_PROGRESS", 7), ("COMPLETED", 0)],
    ),
    (
        "unstructured",
        "5e7f1a2b-9c8d-4e6f-a1b2-c3d4e5f6a7b8",
        [("SCHEDULED", 1), ("IN_PROGRESS", 4), ("STOPPED", 0)],
    ),
    ("gepetto", "gp_8Kq2xR7wLm", [("pending", 1), ("processing", 5), ("success", 0)]),
    ("aisquare", "1042", [("PENDING", 1), ("RUNNING", 9), ("COMPLETED", 0)]),
]

# A job that is still going when the others have finished: something for `ls --remote`
# to show running and for `cancel` to stop (the demo and `jobctl sim` name it; `watch`
# of the samples leaves it out).
LONG_RUNNING: tuple[str, str, list[tuple[str, float]]] = (
    "krea",
    "7c1e2f3a-8b9d-4c0e-a1f2-b3c4d5e6f7a8",
    [("queued", 2), ("processing", 3600), ("completed", 0)],
)

AISQUARE_EVENTS = [
    ("STATE_CHANGE", "Job accepted by the orchestrator"),
    ("THOUGHT", "Outlining sections from the brief"),
    ("LOG", "Drafting section 1/3: Why batch jobs need a status CLI"),
    ("LOG", "Drafting section 2/3: Polling without tripping rate limits"),
    ("MESSAGE", "Drafting section 3/3: Putting it together"),
    ("THOUGHT", "Checking tone and length"),
    ("END", "Blog post ready"),
]


# The files a finished sample job links to, served by the simulator itself (so
# `jobctl download` works offline): (file name under /files/, bytes, Content-Type).
# The images start with a real picture, so a gallery of the samples shows one.
SAMPLE_FILES: dict[tuple[str, str], tuple[str, int, str]] = {
    ("krea", "4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20"): (
        "4dd4aefd-2ad8-4a1e-8156-ecd10dabdd20.png",
        3_145_728,
        "image/png",
    ),
    ("creatify", "2f8c6e1a-5b7d-4e3f-9a21-6c4b8d0e1f32"): (
        "2f8c6e1a-5b7d-4e3f-9a21-6c4b8d0e1f32.mp4",
        6_291_456,
        "video/mp4",
    ),
    ("gepetto", "gp_8Kq2xR7wLm"): ("gepetto/gp_8Kq2xR7wLm.jpg", 2_097_152, "image/jpeg"),
    ("aisquare", "1042"): ("aisquare/blog/1042", 48_000, "text/html; charset=utf-8"),
}


def load_samples(sim: Simulator, speed: float = 1.0, rate: float | None = None) -> list[tuple[str, str]]:
    """Add every sample job (and the files they link to, served at ``rate`` bytes/s)
    and the LONG_RUNNING one to ``sim``; returns the samples' (provider, id) in display
    order."""
    for name, size, kind in SAMPLE_FILES.values():
        lead = picture(name) if kind.startswith("image/") else b""
        sim.add_file(name, size, content_type=kind, rate=rate, lead=lead)
    now = sim.utcnow()
    for n, (provider, job_id, phases) in enumerate([LONG_RUNNING, *SAMPLES]):
        steps = []
        for word, seconds in phases:
            if provider == "aisquare" and word == "RUNNING":
                # Spread the events across the running phase, one every ~1.3 s.
                per = seconds / (len(AISQUARE_EVENTS) - 1)
                steps += [Step(status=word, seconds=per * speed, event=e) for e in AISQUARE_EVENTS[:-1]]
                continue
            event = AISQUARE_EVENTS[-1] if provider == "aisquare" and word == "COMPLETED" else None
            fields = {}
            if not seconds and (provider, job_id) in SAMPLE_FILES:  # the final phase
                url = sim.file_url(SAMPLE_FILES[provider, job_id][0])
                fields = SIMULATED[provider].outputs(job_id, url)
            steps.append(Step(status=word, seconds=seconds * speed or None, event=event, fields=fields))
        # Submitted a second apart, the long-running job last and then the samples in
        # display order, newest first: newest-first views (a gallery, a provider's list)
        # show them in this order, whatever the clock's grain.
        sim.add_job(provider, job_id, steps, created=now - timedelta(seconds=5 + n))
    return [(p, i) for p, i, _ in SAMPLES]
