"""The fault matrix: every fault x get (one ref), get (several), watch.

Each cell ends with the documented exit code and one clear stderr line: no
traceback, no secret, and the jobs that did answer still printed.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import GEPETTO_ID, KREA_ID, write_config

from jobctl.sim import DEFAULT_KEYS, Simulator, Step

SECRETS = [v for keys in DEFAULT_KEYS.values() for v in keys.values()]
FAST = ("--interval", "0.05", "--max-interval", "0.1")


@dataclass(frozen=True)
class Fault:
    name: str
    step: Step | None  # None: special (connection refused / other origin)
    code: int
    transient: bool  # watch retries it and carries on


def _body(status: int, body: str = "", **kw: Any) -> Step:
    return Step(http_status=status, body=body, **kw)


FAULTS = [
    Fault("400", _body(400, '{"error": "bad request"}'), 5, False),
    Fault("401", _body(401, '{"error": "Unauthorized"}'), 3, False),
    Fault("403", _body(403, '{"detail": "forbidden"}'), 3, False),
    Fault("404", _body(404, '{"error": "Job not found"}'), 4, False),
    Fault("422", _body(422, '{"detail": [{"loc": ["path", "id"], "msg": "bad id", "type": "x"}]}'), 5, False),
    Fault("429", _body(429, "{}", headers={"Retry-After": "0"}), 5, True),
    Fault("500", _body(500, "oops"), 5, True),
    Fault("502", _body(502, "<html>bad gateway</html>"), 5, True),
    Fault("503", _body(503, "", headers={"Retry-After": "0"}), 5, True),
    Fault("504", _body(504, ""), 5, True),
    Fault(
        "html page",
        Step(body="<!doctype html><h1>Maintenance</h1>", headers={"Content-Type": "text/html"}),
        5,
        True,
    ),
    Fault("empty body", Step(body=""), 5, True),
    Fault("truncated json", Step(body='{"job_id": "x", "stat'), 5, True),
    Fault("short body", Step(body='{"job_id": "x"}', content_length=500), 5, True),
    Fault("object without status", Step(body='{"job_id": "x", "created_at": "2024-05-01"}'), 5, True),
    Fault("oversize body", Step(body=b"{" + b" " * (10 * 1024 * 1024 + 10) + b"}"), 5, True),
    Fault("redirect loop", Step(redirect=f"/krea/jobs/{KREA_ID}"), 5, True),
    Fault("hang", Step(delay=5), 5, True),
    Fault("reset", Step(drop=True), 5, True),
    Fault("connection refused", None, 5, True),
    Fault("other origin", None, 3, False),
]
IDS = [f.name for f in FAULTS]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def arrange(
    fault: Fault,
    sim: Simulator,
    other: Simulator,
    tmp_path: Path,
    monkeypatch: Any,
    then: list[str | Step] | None = None,
) -> None:
    """Profile with a 0.1 s timeout; krea:KREA_ID answers with ``fault`` (then ``then``)."""
    profile = sim.profile(["krea", "gepetto"])
    profile["krea"]["timeout"] = 0.1
    if fault.name == "connection refused":
        profile["krea"]["base_url"] = f"http://127.0.0.1:{_free_port()}/krea"
    elif fault.name == "other origin":
        other.add_job("krea", KREA_ID, ["completed"])
        sim.add_job("krea", KREA_ID, [Step(redirect=f"{other.base_url('krea')}/jobs/{KREA_ID}")])
    else:
        assert fault.step is not None
        step = Step(**{**fault.step.__dict__, "requests": 6 if then else None})
        sim.add_job("krea", KREA_ID, [step, *(then or [])])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    path = write_config(tmp_path / "faults.yaml", {"profiles": {"default": profile}})
    monkeypatch.setenv("JOBCTL_CONFIG", str(path))


def assert_clean(result: Any, lines: int = 1) -> None:
    everything = result.out + result.err
    assert "Traceback" not in everything
    assert not any(secret in everything for secret in SECRETS)
    errors = [line for line in result.err_lines if line.startswith("error: ")]
    assert len(errors) == lines == len(result.err_lines), result.err
    assert errors[0].startswith(f"error: krea:{KREA_ID}: ")
    assert len(errors[0]) < 400


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_get_one_ref(fault: Fault, sim, other, tmp_path, monkeypatch, jobctl) -> None:
    arrange(fault, sim, other, tmp_path, monkeypatch)
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == fault.code, result.err
    assert result.out == ""
    assert_clean(result)


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_get_several_refs_still_prints_the_good_one(
    fault: Fault, sim, other, tmp_path, monkeypatch, jobctl
) -> None:
    arrange(fault, sim, other, tmp_path, monkeypatch)
    result = jobctl("get", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "--json")
    assert result.code == fault.code, result.err
    assert [(j["id"], j["status"]) for j in json.loads(result.out)] == [(GEPETTO_ID, "succeeded")]
    assert_clean(result)


@pytest.mark.parametrize("fault", [f for f in FAULTS if not f.transient], ids=lambda f: f.name)
def test_watch_ends_on_a_permanent_fault(fault: Fault, sim, other, tmp_path, monkeypatch, jobctl) -> None:
    arrange(fault, sim, other, tmp_path, monkeypatch)
    result = jobctl(
        "watch", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "--until-done", "--timeout", "20", *FAST
    )
    assert result.code == fault.code, result.err
    assert_clean(result)


@pytest.mark.parametrize(
    "fault", [f for f in FAULTS if f.transient and f.step is not None], ids=lambda f: f.name
)
def test_watch_shows_a_transient_fault_and_carries_on(
    fault: Fault, sim, other, tmp_path, monkeypatch, jobctl
) -> None:
    arrange(fault, sim, other, tmp_path, monkeypatch, then=["completed"])
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--timeout", "30", *FAST)
    assert result.code == 0, result.err
    assert "Traceback" not in result.out + result.err
    assert f"krea:{KREA_ID}  succeeded (completed)  https://" in result.lines[-1]
    if fault.name != "hang":  # a hang answers after the retry, so nothing fails visibly
        assert any("error  retrying: krea:" in line for line in result.lines), result.out


def test_watch_on_a_refused_connection_keeps_retrying_until_its_timeout(
    sim, other, tmp_path, monkeypatch, jobctl
) -> None:
    arrange(FAULTS[IDS.index("connection refused")], sim, other, tmp_path, monkeypatch)
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--timeout", "1", *FAST)
    assert result.code == 124
    assert "retrying: krea:" in result.out and "connection refused" in result.out
