"""The wire: retries, Retry-After, keep-alive, body limits, redirects, timeouts, status
codes and id escaping, over real loopback HTTP against the simulator's scripted faults."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import CREATIFY_ID, KREA_ID, UNSTRUCTURED_ID, run_process, write_config
from contract import AUTH_HEADERS, CREDENTIAL_HEADERS, PROVIDER_NAMES, SAMPLE_IDS, SAMPLE_PATHS

from jobctl import __version__
from jobctl._http import MAX_BODY, POOL_SIZE
from jobctl.sim import Simulator
from jobctl.sim.server import Step


def krea_profile(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **krea: Any) -> Path:
    """Point JOBCTL_CONFIG at a profile like ``config_file``'s, with krea settings changed."""
    profile = sim.profile()
    profile["krea"].update(krea)
    path = write_config(tmp_path / "custom.yaml", {"profiles": {"default": profile}})
    monkeypatch.setenv("JOBCTL_CONFIG", str(path))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- retries -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 507, 429])
def test_get_retries_a_passing_server_error_and_then_succeeds(
    status: int, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step(http_status=status, requests=2), Step(status="completed")])
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["status"] == "succeeded"
    assert len(sim.requests_for("krea")) == 3


def test_a_dropped_connection_is_retried(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step(drop=True, requests=1), Step(status="completed")])
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0, result.err
    assert len(sim.requests_for("krea")) == 2


def test_retries_reuse_the_same_connection(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step(http_status=503, requests=2), Step(status="completed")])
    assert jobctl("get", "krea", KREA_ID).code == 0
    assert len(sim.requests_for("krea")) == 3
    assert sim.connections("krea") == 1


def test_retry_after_is_honoured(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job(
        "krea",
        KREA_ID,
        [Step(http_status=429, headers={"Retry-After": "1"}, requests=1), Step(status="completed")],
    )
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0, result.err
    first, second = sim.requests_for("krea")
    assert second.at - first.at >= 0.9


@pytest.mark.parametrize("retry_after", ["soon", "1.5", "-1", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_retry_after_that_is_not_a_future_number_of_seconds_falls_back_to_the_usual_backoff(
    retry_after: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job(
        "krea",
        KREA_ID,
        [Step(http_status=503, headers={"Retry-After": retry_after}, requests=1), Step(status="completed")],
    )
    started = time.monotonic()
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert time.monotonic() - started < 2
    assert result.code == 0, result.err
    assert len(sim.requests_for("krea")) == 2


def test_a_permanent_503_is_tried_once_and_retried_three_times_then_exits_5(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step(http_status=503)])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.out == ""
    assert result.err_lines == [f"error: krea:{KREA_ID}: HTTP 503 Service Unavailable after 3 retries"]
    assert len(sim.requests_for("krea")) == 4


def test_a_retry_after_longer_than_the_retry_budget_gives_up_at_once(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step(http_status=503, headers={"Retry-After": "120"})])
    started = time.monotonic()
    result = jobctl("get", "krea", KREA_ID)
    assert time.monotonic() - started < 5
    assert result.code == 5
    assert result.err_lines == [f"error: krea:{KREA_ID}: HTTP 503 Service Unavailable; try again in 120 s"]
    assert len(sim.requests_for("krea")) == 1


@pytest.mark.parametrize(("status", "code"), [(400, 5), (401, 3), (403, 3), (404, 4), (422, 5)])
def test_client_errors_are_not_retried(
    status: int, code: int, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step(http_status=status, body='{"detail": "no"}')])
    assert jobctl("get", "krea", KREA_ID).code == code
    assert len(sim.requests_for("krea")) == 1


# --- session ---------------------------------------------------------------------------------


def test_requests_carry_the_jobctl_user_agent(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl("get", "krea", KREA_ID).code == 0
    assert sim.requests_for("krea")[0].headers["user-agent"] == f"jobctl/{__version__}"


def test_many_refs_of_one_provider_share_a_few_kept_alive_connections(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    ids = [f"job-{n:02d}" for n in range(24)]
    for job_id in ids:
        sim.add_job("krea", job_id, ["processing"])
    result = jobctl("get", "krea", *ids, "--json")
    assert result.code == 0, result.err
    assert [job["id"] for job in json.loads(result.out)] == ids
    assert len(sim.requests_for("krea")) == len(ids)
    assert sim.connections("krea") <= POOL_SIZE


# --- bodies ------------------------------------------------------------------------------------


def padded_job(size: int) -> str:
    head, tail = '{"status": "completed", "pad": "', '"}'
    return head + "x" * (size - len(head) - len(tail)) + tail


def test_a_body_of_exactly_10_mib_is_read(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step(body=padded_job(MAX_BODY))])
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["status"] == "succeeded"


def test_a_body_over_10_mib_is_refused_with_exit_5(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step(body=padded_job(MAX_BODY + 1))])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.out == ""
    assert result.err_lines == [f"error: krea:{KREA_ID}: response larger than 10 MiB; not a job status"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "<html><body>Bad gateway</body></html>",
            "HTTP 200 but a body that is not JSON (text/html); is base_url right?",
        ),
        ("", "HTTP 200 but an empty body; is base_url right?"),
        ("   \n", "HTTP 200 but an empty body; is base_url right?"),
        ('{"status": "comp', "HTTP 200 but a body that is not JSON (application/json); is base_url right?"),
        ("[1, 2]", "HTTP 200 but the JSON is an array, not the documented job object"),
        ('"done"', "HTTP 200 but the JSON is a string, not the documented job object"),
        ("42", "HTTP 200 but the JSON is a number, not the documented job object"),
        ("null", "HTTP 200 but the JSON is null, not the documented job object"),
        ("[" * 100_000 + "]" * 100_000, "HTTP 200 but the JSON is nested too deep for a job status"),
    ],
)
def test_a_body_that_is_not_a_json_object_exits_5_with_one_line(
    body: str, problem: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step(body=body)])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.out == ""
    assert result.err_lines == [f"error: krea:{KREA_ID}: {problem}"]


def test_a_truncated_body_exits_5_with_one_line(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step(status="completed", content_length=5000)])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: the answer from {sim.base_url('krea')} broke off before its end; try again"
    ]


def test_an_html_error_page_is_summarised_not_dumped(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    page = "<!DOCTYPE html><html><head><title>500</title></head><body>" + "x" * 5000 + "</body></html>"
    sim.add_job("krea", KREA_ID, [Step(http_status=500, body=page)])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: HTTP 500 Internal Server Error after 3 retries (an HTML page)"
    ]


# --- redirects ----------------------------------------------------------------------------------


def test_a_same_origin_redirect_is_followed_with_credentials(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "moved", [Step(redirect=f"/krea/jobs/{KREA_ID}")])
    sim.add_job("krea", KREA_ID, ["completed"])
    result = jobctl("get", "krea", "moved", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["id"], data["status"]) == ("moved", "succeeded")
    hops = sim.requests_for("krea")
    assert [r.path for r in hops] == ["/krea/jobs/moved", f"/krea/jobs/{KREA_ID}"]
    assert [r.headers.get("authorization") for r in hops] == ["Bearer sim-krea-key"] * 2


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_a_redirect_to_another_origin_carries_no_credential_header(
    provider: str, sim: Simulator, other: Simulator, config_file: Path, jobctl: Any
) -> None:
    path = SAMPLE_PATHS[provider].removeprefix(f"/{provider}")
    other.add_job(provider, SAMPLE_IDS[provider], ["running"])
    sim.add_job(provider, SAMPLE_IDS[provider], [Step(redirect=other.base_url(provider) + path)])
    result = jobctl("get", provider, SAMPLE_IDS[provider])
    (first,) = sim.requests_for(provider)
    (followed,) = other.requests_for(provider)
    assert {k: v for k, v in first.headers.items() if k in CREDENTIAL_HEADERS} == AUTH_HEADERS[provider]
    assert followed.path == SAMPLE_PATHS[provider]
    assert CREDENTIAL_HEADERS.isdisjoint(followed.headers)
    assert result.code == 3  # the other origin refuses a request without credentials


def test_a_redirect_to_another_host_name_on_the_same_port_carries_no_credentials(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "moved", [Step(redirect=f"http://localhost:{sim.port}/krea/jobs/{KREA_ID}")])
    sim.add_job("krea", KREA_ID, ["completed"])
    result = jobctl("get", "krea", "moved")
    assert result.code == 3
    assert result.err_lines == [
        f"error: krea:moved: {sim.base_url('krea')} redirected to http://localhost:{sim.port}, which "
        "refused the request (HTTP 401); jobctl does not send credentials to another origin"
    ]
    first, followed = sim.requests_for("krea")
    assert first.headers["authorization"] == "Bearer sim-krea-key"
    assert followed.headers["host"] == f"localhost:{sim.port}"
    assert CREDENTIAL_HEADERS.isdisjoint(followed.headers)


def test_a_redirect_loop_exits_5(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step(redirect=f"/krea/jobs/{KREA_ID}")])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.err_lines == [f"error: krea:{KREA_ID}: too many redirects (more than 5)"]
    assert len(sim.requests_for("krea")) == 6


# --- network failures -----------------------------------------------------------------------------


def test_a_refused_connection_exits_5(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/krea"
    krea_profile(sim, tmp_path, monkeypatch, base_url=base_url)
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 5
    assert result.out == ""
    assert result.err_lines == [f"error: krea:{KREA_ID}: cannot reach {base_url}: connection refused"]


def test_a_server_slower_than_the_profile_timeout_exits_5_quickly(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    krea_profile(sim, tmp_path, monkeypatch, timeout=0.1)
    sim.add_job("krea", KREA_ID, [Step(status="completed", delay=3)])
    started = time.monotonic()
    result = jobctl("get", "krea", KREA_ID)
    assert time.monotonic() - started < 2.5  # four tries of 0.1 s, not the server's 3 s
    assert len(sim.requests_for("krea")) == 4
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: no answer from {sim.base_url('krea')} within 0.1s "
        "(raise 'timeout' in the profile if the provider is slow)"
    ]


def test_a_slow_answer_within_the_timeout_is_waited_for(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    krea_profile(sim, tmp_path, monkeypatch, timeout=5)
    sim.add_job("krea", KREA_ID, [Step(status="completed", delay=0.1)])
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0, result.err
    assert len(sim.requests_for("krea")) == 1


# --- status codes ---------------------------------------------------------------------------------


def test_a_refused_key_exits_3_and_names_what_to_check(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    krea_profile(sim, tmp_path, monkeypatch, api_key="not-the-key")
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 3
    assert result.out == ""
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: authentication refused (HTTP 401): Unauthorized; "
        "check the krea key in your profile or KREA_API_KEY"
    ]


def test_403_exits_3_with_the_providers_words(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    body = '{"detail": "You do not have permission to perform this action."}'
    sim.add_job("creatify", CREATIFY_ID, [Step(http_status=403, body=body)])
    result = jobctl("get", "creatify", CREATIFY_ID)
    assert result.code == 3
    assert result.err_lines == [
        f"error: creatify:{CREATIFY_ID}: authentication refused (HTTP 403): "
        "You do not have permission to perform this action.; "
        "check the creatify key in your profile or CREATIFY_API_ID / CREATIFY_API_KEY"
    ]


def test_an_unknown_job_exits_4(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    result = jobctl("get", "krea", "no-such-job")
    assert result.code == 4
    assert result.out == ""
    assert result.err_lines == ["error: krea:no-such-job: job not found (HTTP 404): Job not found"]


def test_unstructured_validation_errors_are_shown_readably(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    detail = {
        "detail": [
            {"loc": ["path", "job_id"], "msg": "Input should be a valid UUID", "type": "uuid_parsing"},
            {"loc": ["header", "unstructured-api-key"], "msg": "Field required", "type": "missing"},
        ]
    }
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step(http_status=422, body=json.dumps(detail))])
    result = jobctl("get", "unstructured", UNSTRUCTURED_ID)
    assert result.code == 5
    assert result.err_lines == [
        f"error: unstructured:{UNSTRUCTURED_ID}: HTTP 422 Unprocessable Entity: "
        "path.job_id: Input should be a valid UUID; header.unstructured-api-key: Field required"
    ]


# --- ids on the wire ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "raw", "expected"),
    [
        ("krea", "../x", "a non-empty id without '/', spaces or control characters"),
        ("krea", "a/b", "a non-empty id without '/', spaces or control characters"),
        ("krea", "a b", "a non-empty id without '/', spaces or control characters"),
        ("krea", "", "a non-empty id without '/', spaces or control characters"),
        ("krea", "..", "a non-empty id without '/', spaces or control characters"),
        ("krea", "a\\b", "a non-empty id without '/', spaces or control characters"),
        ("gepetto", "x/../../admin", "a non-empty id without '/', spaces or control characters"),
        ("creatify", "../x", "a UUID like 3c90c3cc-0d44-4b50-8888-8dd25736052a"),
        ("unstructured", "a b", "a UUID like 3c90c3cc-0d44-4b50-8888-8dd25736052a"),
        ("aisquare", "1/2", "a positive integer like 42"),
        ("aisquare", "0", "a positive integer like 42"),
    ],
)
def test_a_bad_id_exits_2_and_nothing_is_sent(
    provider: str, raw: str, expected: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("get", provider, raw)
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == [f"error: {provider}: invalid job id {json.dumps(raw)}: expected {expected}"]
    assert sim.requests_for() == []


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("a?b#c", "/krea/jobs/a%3Fb%23c"),
        ("50%off", "/krea/jobs/50%25off"),
        ("café", "/krea/jobs/caf%C3%A9"),
        ("...", "/krea/jobs/..."),
    ],
)
def test_reserved_characters_in_an_id_arrive_percent_encoded(
    raw: str, path: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", raw, ["processing"])
    result = jobctl("get", "krea", raw, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["id"] == raw
    assert [r.path for r in sim.requests_for("krea")] == [path]


def test_an_id_with_bytes_that_are_not_utf_8_exits_2_not_with_an_internal_error(
    sim: Simulator, config_file: Path
) -> None:
    proc = run_process("get", "krea", "job-\udcff")  # argv byte 0xff, as a shell would pass it
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        'error: krea: invalid job id "job-\\udcff": '
        "expected a non-empty id without '/', spaces or control characters"
    ]
    assert sim.requests_for() == []


def test_https_to_a_plain_http_server_is_one_line_about_the_tls_handshake(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url = f"https://127.0.0.1:{sim.port}/krea"
    krea_profile(sim, tmp_path, monkeypatch, base_url=base_url)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID)
    assert (result.code, result.out) == (5, "")
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: cannot reach {base_url}: TLS handshake with 127.0.0.1:{sim.port} failed: "
        "the answer is not TLS; is it an http:// server?"
    ]
    assert sim.requests_for("krea") == []


# --- the --debug log --------------------------------------------------------------------------------


def test_debug_masks_credential_headers_by_name_even_for_keys_shorter_than_four_characters(
    sim: Simulator, tmp_path: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim.keys["gepetto"]["api_key"] = "g1"
    sim.keys["creatify"].update(api_id="c1", api_key="c2")
    path = write_config(
        tmp_path / "short.yaml", {"profiles": {"default": sim.profile(["gepetto", "creatify"])}}
    )
    sim.add_job("gepetto", "gp1", ["processing"])
    sim.add_job("creatify", CREATIFY_ID, ["running"])
    result = jobctl("get", "gepetto:gp1", f"creatify:{CREATIFY_ID}", "--debug", "--config", str(path))
    assert result.code == 0, result.err
    common = f"User-Agent: jobctl/{__version__}, Accept-Encoding: gzip, deflate, Accept: application/json, "
    requests_logged = [line for line in result.err_lines if line.startswith("debug: GET ")]
    assert sorted(requests_logged) == [
        f"debug: GET {sim.base_url('creatify')}/api/inspiration_jobs/{CREATIFY_ID}/ [{common}"
        "Connection: keep-alive, X-API-ID: ***, X-API-KEY: ***] timeout=30s",
        f"debug: GET {sim.base_url('gepetto')}/v1/job/gp1 [{common}"
        "Connection: keep-alive, Authorization: Bearer ***] timeout=30s",
    ]
    assert "Bearer g1" not in result.err


def test_a_redirect_to_a_location_that_is_no_url_is_one_error_line_and_the_other_refs_still_answer(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "bad", [Step(http_status=302, headers={"Location": "http://[x"})])
    sim.add_job("krea", KREA_ID, ["completed"])
    one = jobctl("get", "krea:bad")
    assert (one.code, one.out) == (5, "")
    assert one.err_lines == [
        f"error: krea:bad: {sim.base_url('krea')}/jobs/bad redirected to a Location that is not a valid "
        "URL; not followed"
    ]
    both = jobctl("get", "krea:bad", f"krea:{KREA_ID}", "--json")
    assert both.code == 5
    assert [job["id"] for job in json.loads(both.out)] == [KREA_ID]
    assert both.err_lines == one.err_lines
