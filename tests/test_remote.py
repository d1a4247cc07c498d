"""`jobctl ls --remote` and `jobctl cancel` against the simulator: each provider's documented
list and cancel endpoints (Krea, Unstructured), pagination, status filters, the journal,
the providers without either, and bad input; `Client.list_jobs` / `Client.cancel`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import KREA_ID, UNSTRUCTURED_ID

import jobctl
from jobctl._version import __version__ as VERSION
from jobctl.sim import Simulator, Step

FAST = ("--interval", "0.05", "--max-interval", "0.1")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
KREA_IDS = [f"{n}dd4aefd-2ad8-4a1e-8156-ecd10dabdd20" for n in range(6)]  # job n created at T0 + n min
OTHER_UNSTRUCTURED = "5e7f1a2b-9c8d-4e6f-a1b2-c3d4e5f6a7b8"


def krea_jobs(sim: Simulator, *words: str) -> list[str]:
    """Krea jobs in ``words`` (the provider's own), the first created first; returns ids."""
    ids = KREA_IDS[: len(words)]
    for n, (job_id, word) in enumerate(zip(ids, words, strict=True)):
        sim.add_job("krea", job_id, [Step(word)], created=T0 + timedelta(minutes=n))
    return ids


def listed(result: Any) -> list[tuple[str, str]]:
    assert result.code == 0, result.err
    return [(job["id"], job["status"]) for job in json.loads(result.out)]


def queries(sim: Simulator, provider: str, path: str) -> list[str]:
    return [r.query for r in sim.requests_for(provider) if r.path == path]


# --- ls --remote ---------------------------------------------------------------------------


def test_ls_remote_lists_a_kreas_jobs_newest_first_as_get_prints_them(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    ids = krea_jobs(sim, "processing", "completed", "queued")
    result = jobctl("ls", "--remote", "krea", "--json")
    assert listed(result) == [(ids[2], "queued"), (ids[1], "succeeded"), (ids[0], "running")]
    assert json.loads(result.out)[1] == json.loads(jobctl("get", f"krea:{ids[1]}", "--json").out)
    assert queries(sim, "krea", "/krea/jobs") == ["limit=20"]


def test_ls_remote_filters_locally_and_follows_kreas_cursor_when_several_words_mean_the_status(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    ids = krea_jobs(sim, "sampling", "completed", "completed", "processing", "failed", "completed")
    result = jobctl("ls", "--remote", "krea", "--status", "running", "--limit", "2", "--json")
    assert listed(result) == [(ids[3], "running"), (ids[0], "running")]
    # running is processing, sampling or intermediate-complete: no one Krea word to send
    assert queries(sim, "krea", "/krea/jobs") == ["limit=2", "limit=2&cursor=p2", "limit=2&cursor=p4"]


def test_ls_remote_sends_kreas_own_word_when_exactly_one_means_the_status(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    ids = krea_jobs(sim, "completed", "processing", "completed")
    result = jobctl("ls", "--remote", "krea", "--status", "succeeded", "--json")
    assert listed(result) == [(ids[2], "succeeded"), (ids[0], "succeeded")]
    assert queries(sim, "krea", "/krea/jobs") == ["limit=20&status=completed"]


def test_ls_remote_follows_a_cursor_spelled_nextcursor_too(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    ids = krea_jobs(sim, "queued", "queued", "queued")
    first = {"items": [{"job_id": ids[2], "status": "queued", "created_at": "2026-11-20T10:02:00Z"}]}
    sim.add_answers(
        "krea", "GET", "/jobs", [Step(body=json.dumps({**first, "nextCursor": "p1"}), requests=1), Step()]
    )
    result = jobctl("ls", "--remote", "krea", "--json")
    assert listed(result) == [(ids[2], "queued"), (ids[1], "queued"), (ids[0], "queued")]
    assert queries(sim, "krea", "/krea/jobs") == ["limit=20", "limit=20&cursor=p1"]


def test_a_job_that_moves_to_the_next_page_while_paging_is_listed_once(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    ids = krea_jobs(sim, "queued", "queued")
    job = {"job_id": ids[1], "status": "queued", "created_at": "2026-11-20T10:01:00Z"}
    pages = [{"items": [job], "next_cursor": "p1"}, {"items": [job, {**job, "job_id": ids[0]}]}]
    sim.add_answers("krea", "GET", "/jobs", [Step(body=json.dumps(page), requests=1) for page in pages])
    assert listed(jobctl("ls", "--remote", "krea", "--json")) == [(ids[1], "queued"), (ids[0], "queued")]


def test_ls_remote_reads_unstructureds_bare_array_with_its_status_filter(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("IN_PROGRESS")], created=T0)
    sim.add_job("unstructured", OTHER_UNSTRUCTURED, [Step("COMPLETED")], created=T0 + timedelta(minutes=1))
    assert listed(jobctl("ls", "--remote", "unstructured", "--json")) == [
        (OTHER_UNSTRUCTURED, "succeeded"),
        (UNSTRUCTURED_ID, "running"),
    ]
    running = jobctl("ls", "--remote", "unstructured", "--status", "running", "--json")
    assert listed(running) == [(UNSTRUCTURED_ID, "running")]
    assert queries(sim, "unstructured", "/unstructured/api/v1/jobs/") == ["", "status=IN_PROGRESS"]


def test_ls_remote_cuts_a_bare_array_to_the_limit_newest_first(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("COMPLETED")], created=T0)
    sim.add_job("unstructured", OTHER_UNSTRUCTURED, [Step("COMPLETED")], created=T0 + timedelta(minutes=1))
    result = jobctl("ls", "--remote", "unstructured", "--limit", "1", "--json")
    assert listed(result) == [(OTHER_UNSTRUCTURED, "succeeded")]


def test_ls_remote_without_providers_asks_every_configured_one_that_can_list(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    krea_jobs(sim, "processing")
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("SCHEDULED")], created=T0 + timedelta(hours=1))
    result = jobctl("ls", "--remote")
    assert (result.code, result.err) == (0, "")
    assert [line.split()[:3] for line in result.lines] == [
        ["PROVIDER", "ID", "STATUS"],
        ["unstructured", UNSTRUCTURED_ID, "queued"],
        ["krea", KREA_IDS[0], "running"],
    ]
    assert sorted({r.provider for r in sim.requests}) == ["krea", "unstructured"]


def test_listed_jobs_enter_the_journal_so_watch_follows_them(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing", requests=1), Step("completed")])
    assert listed(jobctl("ls", "--remote", "krea", "--status", "running", "--json")) == [(KREA_ID, "running")]
    result = jobctl("watch", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    assert [json.loads(line)["status"] for line in result.lines] == ["running", "succeeded"]


def test_ls_remote_with_no_jobs_says_so(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    result = jobctl("ls", "--remote", "krea", "--status", "failed")
    assert (result.code, result.lines, result.err) == (0, ["no failed jobs on krea"], "")
    assert jobctl("ls", "--remote", "krea", "--json").out == "[]\n"


def test_a_provider_without_a_list_among_others_is_a_note_on_stderr(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    krea_jobs(sim, "processing")
    result = jobctl("ls", "--remote", "krea", "gepetto", "--json")
    assert listed(result) == [(KREA_IDS[0], "running")]
    assert result.err_lines == ["gepetto: Gepetto documents no way to list jobs; skipped"]
    assert {r.provider for r in sim.requests} == {"krea"}


def test_ls_remote_of_providers_that_cannot_list_is_exit_2_and_sends_nothing(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("ls", "--remote", "creatify", "gepetto", "aisquare")
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        "error: creatify: Creatify documents no way to list jobs; nothing was sent",
        "error: gepetto: Gepetto documents no way to list jobs; nothing was sent",
        "error: aisquare: AISquare Studio documents no way to list jobs; nothing was sent",
    ]
    assert sim.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "--limit must be a whole number from 1 to 1000, not 0"),
        (["--limit", "100000"], "--limit must be a whole number from 1 to 1000, not 100000"),
        (
            ["--status", "bogus"],
            "--status 'bogus' is not a status; "
            "use one of queued, running, succeeded, failed, cancelled, unknown",
        ),
        (
            ["--status", "runing"],
            "--status 'runing' is not a status (did you mean 'running'?); "
            "use one of queued, running, succeeded, failed, cancelled, unknown",
        ),
        (["nosuch"], "unknown provider 'nosuch'; supported: krea, creatify, unstructured, gepetto, aisquare"),
    ],
    ids=["limit 0", "limit 100000", "status bogus", "status runing", "unknown provider"],
)
def test_bad_list_input_is_one_line_exit_2_and_nothing_is_sent(
    args: list[str], message: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("ls", "--remote", *args)
    assert (result.code, result.out, result.err_lines) == (2, "", [f"error: {message}"])
    assert sim.requests == []


def test_provider_status_and_limit_without_remote_are_a_usage_error(jobctl: Any) -> None:
    result = jobctl("ls", "krea", "--status", "running")
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        "error: PROVIDER, --status and --limit go with --remote: e.g. jobctl ls --remote krea"
    ]


@pytest.mark.parametrize(
    ("provider", "path", "body", "message"),
    [
        ("krea", "/jobs", "[]", "krea: the list answer is an array, not the documented object with 'items'"),
        (
            "krea",
            "/jobs",
            '{"data": []}',
            "krea: the list answer has no 'items', not the documented object with 'items'",
        ),
        (
            "krea",
            "/jobs",
            '{"items": {"job_id": "x"}}',
            "krea: the list answer has an object for 'items', not the documented object with 'items'",
        ),
        ("krea", "/jobs", '{"items": ["x"]}', "krea: the list answer's job 1 is a string, not a job object"),
        (
            "krea",
            "/jobs",
            '{"items": [{"status": "queued"}]}',
            "krea: the list answer's job 1 has no 'job_id'; not the documented Krea job",
        ),
        (
            "krea",
            "/jobs",
            '{"items": [{"job_id": "../x", "status": "queued"}]}',
            'krea: the list answer\'s job 1 has an id jobctl cannot ask about: "../x"',
        ),
        (
            "unstructured",
            "/api/v1/jobs/",
            '{"jobs": []}',
            "unstructured: the list answer is an object, not the documented array of jobs",
        ),
        (
            "unstructured",
            "/api/v1/jobs/",
            "<html>oops</html>",
            "unstructured: HTTP 200 but a body that is not JSON (text/html); is base_url right?",
        ),
    ],
    ids=[
        "krea array",
        "krea no items",
        "krea items object",
        "krea item string",
        "krea item without id",
        "krea item bad id",
        "unstructured object",
        "unstructured html",
    ],
)
def test_a_list_answer_that_is_not_the_documented_shape_is_one_line_and_exit_5(
    provider: str, path: str, body: str, message: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_answers(provider, "GET", path, [Step(body=body)])
    result = jobctl("ls", "--remote", provider)
    assert (result.code, result.out, result.err_lines) == (5, "", [f"error: {message}"])


def test_a_list_path_the_provider_does_not_know_is_exit_5_and_names_the_path(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_answers("krea", "GET", "/jobs", [Step(http_status=404, body='{"error": "Not Found"}')])
    result = jobctl("ls", "--remote", "krea")
    assert (result.code, result.out) == (5, "")
    assert result.err_lines == [
        "error: krea: nothing at /krea/jobs (HTTP 404): Not Found; is base_url right?"
    ]


def test_a_list_refused_by_one_provider_still_shows_the_others(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    krea_jobs(sim, "processing")
    sim.keys["unstructured"]["api_key"] = "another-key"
    result = jobctl("ls", "--remote", "krea", "unstructured", "--json")
    assert result.code == 3
    assert [job["id"] for job in json.loads(result.out)] == [KREA_IDS[0]]
    assert result.err_lines == [
        "error: unstructured: authentication refused (HTTP 401): Invalid API key; "
        "check the unstructured key in your profile or UNSTRUCTURED_API_KEY"
    ]


def test_a_list_stops_after_twenty_pages(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    def page(n: int) -> Step:
        job = {"job_id": f"j{n}", "status": "processing"}
        return Step(body=json.dumps({"items": [job], "next_cursor": f"c{n}"}), requests=1)

    sim.add_answers("krea", "GET", "/jobs", [page(n) for n in range(30)])
    result = jobctl("ls", "--remote", "krea", "--status", "queued", "--json")
    assert listed(result) == []
    assert len(queries(sim, "krea", "/krea/jobs")) == 20


def test_ls_remote_debug_logs_the_request_with_its_query_and_never_the_key(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("ls", "--remote", "krea", "--limit", "5", "--debug")
    assert result.code == 0
    base = sim.base_url("krea")
    assert [line for line in result.err_lines if line.startswith("debug: GET")] == [
        f"debug: GET {base}/jobs?limit=5 [User-Agent: jobctl/{VERSION}, "
        "Accept-Encoding: gzip, deflate, "
        "Accept: application/json, Connection: keep-alive, Authorization: Bearer ***] timeout=30s"
    ]
    assert "sim-krea-key" not in result.out + result.err


# --- cancel --------------------------------------------------------------------------------


def methods(sim: Simulator, provider: str) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.requests_for(provider)]


def test_cancel_stops_a_running_krea_job_with_delete_and_shows_it_as_get_does(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing")])
    result = jobctl("cancel", f"krea:{KREA_ID}")
    assert (result.code, result.err) == (0, "")
    assert result.lines[:2] == [f"job:      krea:{KREA_ID}", "status:   cancelled"]
    assert result.out == jobctl("get", f"krea:{KREA_ID}", "--no-track").out
    path = f"/krea/jobs/{KREA_ID}"
    assert methods(sim, "krea") == [("GET", path), ("DELETE", path), ("GET", path), ("GET", path)]


def test_cancel_stops_an_unstructured_job_with_post_and_json_is_as_get_json(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("IN_PROGRESS")])
    result = jobctl("cancel", "unstructured", UNSTRUCTURED_ID, "--json")
    assert (result.code, result.err) == (0, "")
    data = json.loads(result.out)
    assert (data["status"], data["provider_status"], data["done"]) == ("cancelled", "STOPPED", True)
    path = f"/unstructured/api/v1/jobs/{UNSTRUCTURED_ID}"
    assert methods(sim, "unstructured") == [("GET", path), ("POST", f"{path}/cancel"), ("GET", path)]


def test_cancel_of_a_finished_job_says_so_and_exits_0(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    result = jobctl("cancel", f"krea:{KREA_ID}")
    assert result.code == 0
    assert result.err_lines == [f"krea:{KREA_ID}: already succeeded; nothing to cancel"]
    assert result.lines[:2] == [f"job:      krea:{KREA_ID}", "status:   succeeded (completed)"]
    assert methods(sim, "krea") == [("GET", f"/krea/jobs/{KREA_ID}")]  # no DELETE


def test_a_job_that_finished_while_its_cancel_was_refused_is_already_done_not_an_error(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing", requests=1), Step("completed")])
    sim.add_answers(
        "krea", "DELETE", f"/jobs/{KREA_ID}", [Step(http_status=409, body='{"error": "Job is done"}')]
    )
    result = jobctl("cancel", f"krea:{KREA_ID}", "--json")
    assert result.code == 0
    assert json.loads(result.out)["status"] == "succeeded"
    assert result.err_lines == [f"krea:{KREA_ID}: already succeeded; nothing to cancel"]


@pytest.mark.parametrize(
    ("code", "body", "message"),
    [
        (
            409,
            '{"error": "Job is being finalized"}',
            "cancel refused (HTTP 409 Conflict): Job is being finalized",
        ),
        (
            405,
            '{"error": "Method not allowed"}',
            "cancel refused (HTTP 405 Method Not Allowed): Method not allowed; "
            f"Krea does not take DELETE /krea/jobs/{KREA_ID}",
        ),
    ],
    ids=["409", "405"],
)
def test_a_cancel_the_provider_refuses_is_one_line_and_exit_5(
    code: int, body: str, message: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing")])
    sim.add_answers("krea", "DELETE", f"/jobs/{KREA_ID}", [Step(http_status=code, body=body)])
    result = jobctl("cancel", f"krea:{KREA_ID}")
    assert (result.code, result.out, result.err_lines) == (5, "", [f"error: krea:{KREA_ID}: {message}"])


def test_a_provider_that_keeps_running_after_a_cancel_is_said_to(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing")])
    sim.add_answers("krea", "DELETE", f"/jobs/{KREA_ID}", [Step(body="{}")])
    result = jobctl("cancel", f"krea:{KREA_ID}", "--json")
    assert result.code == 0
    assert json.loads(result.out)["status"] == "running"
    assert result.err_lines == [
        f"krea:{KREA_ID}: cancel requested; the provider still reports it running (processing) "
        f"(jobctl watch krea:{KREA_ID} --until-done follows it)"
    ]


def test_cancel_of_an_unknown_job_is_exit_4_and_sends_no_cancel(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing")])
    result = jobctl("cancel", f"krea:{KREA_ID}", "krea:nope", "--json")
    assert result.code == 4
    assert [(j["id"], j["status"]) for j in json.loads(result.out)] == [(KREA_ID, "cancelled")]
    assert result.err_lines == ["error: krea:nope: job not found (HTTP 404): Job not found"]
    assert ("DELETE", "/krea/jobs/nope") not in methods(sim, "krea")


@pytest.mark.parametrize("provider", ["creatify", "gepetto", "aisquare"])
def test_cancel_for_a_provider_without_one_is_exit_2_and_nothing_is_sent_for_any_ref(
    provider: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    from contract import SAMPLE_IDS

    from jobctl.providers import PROVIDERS

    sim.add_job("krea", KREA_ID, [Step("processing")])
    result = jobctl("cancel", f"krea:{KREA_ID}", f"{provider}:{SAMPLE_IDS[provider]}")
    assert (result.code, result.out) == (2, "")
    title = PROVIDERS[provider].title
    assert result.err_lines == [
        f"error: {provider}: {title} documents no way to cancel a job; nothing was sent"
    ]
    assert sim.requests == []


def test_cancel_of_a_bad_ref_sends_nothing_for_the_good_ones(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("cancel", f"krea:{KREA_ID}", "unstructured:not-a-uuid")
    assert (result.code, result.out) == (2, "")
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith(
        "error: unstructured: invalid job id"
    )
    assert sim.requests == []


def test_cancel_without_refs_is_a_usage_error(jobctl: Any) -> None:
    result = jobctl("cancel", stdin="")
    assert (result.code, result.err_lines) == (
        2,
        ["error: no job refs given; e.g. jobctl cancel krea:ID  (see jobctl cancel --help)"],
    )


def test_cancel_is_retried_after_a_503_because_a_cancel_is_idempotent(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step("IN_PROGRESS")])
    path = f"/api/v1/jobs/{UNSTRUCTURED_ID}/cancel"
    sim.add_answers("unstructured", "POST", path, [Step(http_status=503, body="{}", requests=1), Step()])
    result = jobctl("cancel", f"unstructured:{UNSTRUCTURED_ID}", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["status"] == "cancelled"
    assert [m for m, _ in methods(sim, "unstructured")].count("POST") == 2


def test_cancel_debug_shows_the_method_and_never_the_key(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing")])
    result = jobctl("cancel", f"krea:{KREA_ID}", "--debug")
    assert result.code == 0
    sent = [line.split(" [")[0] for line in result.err_lines if line.startswith("debug: ") and " [" in line]
    url = f"{sim.base_url('krea')}/jobs/{KREA_ID}"
    assert sent == [f"debug: GET {url}", f"debug: DELETE {url}", f"debug: GET {url}"]
    assert "Authorization: Bearer ***" in result.err
    assert "sim-krea-key" not in result.out + result.err


def test_a_cancel_redirected_to_another_origin_goes_there_without_credentials(
    sim: Simulator, other: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing")])
    other.add_job("krea", KREA_ID, [Step("processing")])
    moved = f"{other.base_url('krea')}/jobs/{KREA_ID}"
    sim.add_answers("krea", "DELETE", f"/jobs/{KREA_ID}", [Step(http_status=307, redirect=moved)])
    result = jobctl("cancel", f"krea:{KREA_ID}")
    assert (result.code, result.out) == (3, "")
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: {sim.base_url('krea')} redirected to {other.origin}, which refused the "
        "request (HTTP 401); jobctl does not send credentials to another origin"
    ]
    (away,) = other.requests_for("krea")
    assert away.method == "DELETE"
    assert "authorization" not in away.headers


def test_cancelled_jobs_enter_the_journal(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing")])
    assert jobctl("cancel", f"krea:{KREA_ID}").code == 0
    [entry] = json.loads(jobctl("ls", "--all", "--json").out)
    assert (entry["id"], entry["status"]) == (KREA_ID, "cancelled")


# --- the Python API ------------------------------------------------------------------------


def test_client_list_jobs_and_cancel(sim: Simulator) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing")])
    with jobctl.Client(providers=sim.profile(["krea", "gepetto"]), env={}) as client:
        [job] = client.list_jobs("krea", status="running", limit=5)
        assert (job.id, job.status) == (KREA_ID, "running")
        assert client.cancel(f"krea:{KREA_ID}").status == "cancelled"
        with pytest.raises(jobctl.UsageError, match="gepetto: Gepetto documents no way to list jobs"):
            client.list_jobs("gepetto")
        with pytest.raises(jobctl.UsageError, match="gepetto: Gepetto documents no way to cancel a job"):
            client.cancel("gepetto", "gp_1")
        with pytest.raises(jobctl.UsageError, match=r"^limit must be a whole number from 1 to 1000"):
            client.list_jobs("krea", limit=0)
    assert [r.method for r in sim.requests] == ["GET", "GET", "DELETE", "GET"]


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_lists_the_krea_account_and_cancels_its_queued_job(jobctl: Any) -> None:
    from jobctl.sim.samples import LONG_RUNNING, SAMPLES

    result = jobctl("demo", "--speed", "0.05")
    assert result.code == 0, result.err
    lines = result.lines
    start = lines.index("$ jobctl ls --remote krea")
    krea = [job_id for provider, job_id, _ in SAMPLES if provider == "krea"]
    assert [line.split()[:3] for line in lines[start + 2 : start + 6]] == [
        ["PROVIDER", "ID", "STATUS"],
        ["krea", LONG_RUNNING[1], "queued"],
        ["krea", krea[0], "succeeded"],
        ["krea", krea[1], "failed"],
    ]
    at = lines.index(f"$ jobctl cancel krea:{LONG_RUNNING[1]}")
    assert lines[at + 2 : at + 4] == [f"job:      krea:{LONG_RUNNING[1]}", "status:   cancelled"]
    assert at < next(n for n, line in enumerate(lines) if line.startswith("$ jobctl download "))
