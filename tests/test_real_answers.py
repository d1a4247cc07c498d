"""Answers shaped the way the providers' wider docs show them (PRODUCT.md "Reading real
answers"), served by the simulator and read through `get` and `watch`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import CREATIFY_ID, GEPETTO_ID, KREA_ID, UNSTRUCTURED_ID

from jobctl.sim import Step

FAST = ("--interval", "0.05", "--max-interval", "0.1")
URL = "https://gen.krea.ai/images/a.png"

# (provider, id, status word, extra fields) -> what the job's JSON must hold
SHAPES: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "krea",
        KREA_ID,
        "failed",
        {"error": None, "result": {"error": {"code": "nsfw", "message": "flagged"}}},
        {"status": "failed", "error": {"code": "nsfw", "message": "flagged"}},
    ),
    (
        "krea",
        KREA_ID,
        "failed",
        {"error": None, "result": {"error": "GPU quota exceeded"}},
        {"error": {"code": None, "message": "GPU quota exceeded"}},
    ),
    ("krea", KREA_ID, "failed", {"error": "Bad prompt"}, {"error": {"code": None, "message": "Bad prompt"}}),
    (
        "krea",
        KREA_ID,
        "completed",
        {"result": {"urls": [{"url": URL}, "https://gen.krea.ai/images/b.png"], "style_id": "st_9"}},
        {"outputs": [URL, "https://gen.krea.ai/images/b.png"], "results": {"style_id": "st_9"}},
    ),
    (
        "krea",
        KREA_ID,
        "completed",
        # node-app jobs name each output: the URLs are the outputs, in order
        {"result": {"urls": {"trellis": "https://gen.krea.ai/3d/a.glb", "preview": URL}}},
        {"outputs": ["https://gen.krea.ai/3d/a.glb", URL], "results": {}},
    ),
    (
        "creatify",
        CREATIFY_ID,
        "done",
        {"output": "['https://cdn.creatify.ai/1.mp4', 'https://cdn.creatify.ai/2.mp4']"},
        {"outputs": ["https://cdn.creatify.ai/1.mp4", "https://cdn.creatify.ai/2.mp4"], "error": None},
    ),
    (
        "creatify",
        CREATIFY_ID,
        "done",
        {"output": [{"url": "https://cdn.creatify.ai/1.mp4"}], "failed_reason": "retried once"},
        {"outputs": ["https://cdn.creatify.ai/1.mp4"], "error": None},
    ),
    (
        "gepetto",
        GEPETTO_ID,
        "failed",
        {"error": "Image could not be decoded"},
        {"error": {"code": None, "message": "Image could not be decoded"}},
    ),
    (
        "gepetto",
        GEPETTO_ID,
        "error",
        {"message": "Timed out"},
        {"status": "failed", "error": {"code": None, "message": "Timed out"}},
    ),
    (
        "gepetto",
        GEPETTO_ID,
        "canceled",
        {},
        {"status": "cancelled", "done": True, "provider_status": "canceled"},
    ),
    ("krea", KREA_ID, "FINISHED", {}, {"status": "succeeded", "done": True}),
    ("creatify", CREATIFY_ID, "expired", {}, {"status": "failed", "done": True}),
    (
        "krea",
        KREA_ID,
        "completed",
        {"created_at": "2026-11-20T15:30:00+05:30", "completed_at": "2026-11-20T10:01:02.123456"},
        {"created_at": "2026-11-20T10:00:00.000Z", "finished_at": "2026-11-20T10:01:02.123Z"},
    ),
    (
        "creatify",
        CREATIFY_ID,
        "done",
        {"created_at": "2026-11-20 10:00:00", "updated_at": "2026-11-20T10:00:30.5Z"},
        {"created_at": "2026-11-20T10:00:00.000Z", "finished_at": "2026-11-20T10:00:30.500Z"},
    ),
]
IDS = [f"{p}-{word}-{'-'.join(fields) or 'plain'}" for p, _, word, fields, _ in SHAPES]


def assert_holds(job: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {k: job[k] for k in expected} == expected


@pytest.mark.parametrize(("provider", "job_id", "word", "fields", "expected"), SHAPES, ids=IDS)
def test_get_reads_the_shape(
    provider: str,
    job_id: str,
    word: str,
    fields: dict[str, Any],
    expected: dict[str, Any],
    sim,
    config_file,
    jobctl,
) -> None:
    sim.add_job(provider, job_id, [Step(word, fields=fields)])
    result = jobctl("get", provider, job_id, "--json", "--no-track")
    assert result.code == 0, result.err
    assert_holds(json.loads(result.out), expected)


@pytest.mark.parametrize(("provider", "job_id", "word", "fields", "expected"), SHAPES, ids=IDS)
def test_watch_reads_the_shape_to_the_end(
    provider: str,
    job_id: str,
    word: str,
    fields: dict[str, Any],
    expected: dict[str, Any],
    sim,
    config_file,
    jobctl,
) -> None:
    first = "processing" if provider != "creatify" else "running"
    sim.add_job(provider, job_id, [Step(first, requests=1), Step(word, fields=fields)])
    result = jobctl("watch", f"{provider}:{job_id}", "--until-done", "--json", "--no-track", *FAST)
    lines = [json.loads(line) for line in result.lines]
    assert [d["done"] for d in lines] == [False, True]
    assert_holds(lines[-1], expected)
    assert result.code == (0 if lines[-1]["status"] == "succeeded" else 1)


def test_a_running_kreas_preview_urls_are_not_outputs_until_it_completes(sim, config_file, jobctl) -> None:
    preview = {"result": {"urls": ["https://gen.krea.ai/preview.png"]}}
    final = {"result": {"urls": [URL]}}
    sim.add_job(
        "krea",
        KREA_ID,
        [Step("intermediate-complete", fields=preview, requests=2), Step("completed", fields=final)],
    )
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--json", "--no-track", *FAST)
    assert result.code == 0, result.err
    assert [(d["provider_status"], d["outputs"]) for d in map(json.loads, result.lines)] == [
        ("intermediate-complete", []),
        ("completed", [URL]),
    ]


# --- Unstructured: a failed job's reason is in its details ----------------------------------

DETAILS = f"/unstructured/api/v1/jobs/{UNSTRUCTURED_ID}/details"
REASON = "Partitioner: invoice-2026-11.pdf is password-protected"


def test_a_failed_unstructured_jobs_reason_is_read_from_its_details(sim, config_file, jobctl) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("FAILED")])
    result = jobctl("get", "unstructured", UNSTRUCTURED_ID, "--json", "--no-track")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["status"], data["error"]) == ("failed", {"code": None, "message": REASON})
    assert [r.path for r in sim.requests_for("unstructured")] == [DETAILS.removesuffix("/details"), DETAILS]


def test_the_details_are_read_only_for_failed_jobs(sim, config_file, jobctl) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("IN_PROGRESS", requests=1), Step("COMPLETED")])
    result = jobctl("watch", f"unstructured:{UNSTRUCTURED_ID}", "--until-done", "--json", "--no-track", *FAST)
    assert result.code == 0, result.err
    assert DETAILS not in [r.path for r in sim.requests_for("unstructured")]


@pytest.mark.parametrize(
    "fault",
    [Step(http_status=500, body="{}"), Step(body="<html>busy</html>"), Step(body='{"message": null}')],
    ids=["500", "html", "no message"],
)
def test_details_that_fail_never_cost_the_answer(fault: Step, sim, config_file, jobctl) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("FAILED")])
    sim.add_answers("unstructured", "GET", DETAILS.removeprefix("/unstructured"), [fault])
    result = jobctl("get", "unstructured", UNSTRUCTURED_ID, "--json", "--no-track", "--exit-status")
    assert (result.code, result.err) == (1, "")
    assert (json.loads(result.out)["status"], json.loads(result.out)["error"]) == ("failed", None)


def test_watch_reads_a_failed_unstructured_jobs_reason_once(sim, config_file, jobctl) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("IN_PROGRESS", requests=1), Step("FAILED")])
    result = jobctl("watch", f"unstructured:{UNSTRUCTURED_ID}", "--until-done", "--json", "--no-track", *FAST)
    assert result.code == 1
    assert json.loads(result.lines[-1])["error"] == {"code": None, "message": REASON}
    assert [r.path for r in sim.requests_for("unstructured")].count(DETAILS) == 1
