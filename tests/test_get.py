"""`jobctl get` and the commands around it, as a user sees them: detail view, table,
JSON, stdin refs, several refs with failures, secrets, hostile provider text, help."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import AISQUARE_ID, CREATIFY_ID, GEPETTO_ID, KREA_ID, run_process, write_config
from contract import SIM_SECRETS

from jobctl import __version__
from jobctl.sim import Simulator
from jobctl.sim.server import Step

# Without these the detail view gains "created ... (5s ago)" lines that move with the clock.
TIMELESS = {"created_at": None, "completed_at": None}
KREA_URL = f"https://gen.krea.ai/images/{KREA_ID}.png"


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SIM_SECRETS:
            assert secret not in text


# --- one job: the detail view -------------------------------------------------------------------


def test_get_shows_a_running_job_as_a_detail_view(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step(status="processing", fields=TIMELESS)])
    result = jobctl("get", "krea", KREA_ID)
    assert (result.code, result.err) == (0, "")
    assert result.lines == [f"job:    krea:{KREA_ID}", "status: running (processing)"]


def test_get_shows_the_outputs_of_a_finished_job_one_per_line(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {**TIMELESS, "result": {"urls": ["https://a/1.png", "https://a/2.png"]}}
    sim.add_job("krea", KREA_ID, [Step(status="completed", fields=fields)])
    result = jobctl("get", "krea", KREA_ID)
    assert (result.code, result.err) == (0, "")
    assert result.lines == [
        f"job:     krea:{KREA_ID}",
        "status:  succeeded (completed)",
        "outputs: https://a/1.png",
        "         https://a/2.png",
    ]


def test_get_says_when_a_finished_job_reported_no_outputs(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("gepetto", GEPETTO_ID, [Step(status="success", fields={"createdAt": None, "output": None})])
    result = jobctl("get", "gepetto", GEPETTO_ID)
    assert result.lines == [
        f"job:     gepetto:{GEPETTO_ID}",
        "status:  succeeded (success)",
        "kind:    furnish",
        "outputs: (none reported)",
    ]


def test_get_shows_a_failed_jobs_error_code_and_message(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {**TIMELESS, "error": {"code": "nsfw_content", "message": "The prompt was flagged"}}
    sim.add_job("krea", KREA_ID, [Step(status="failed", fields=fields)])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 0
    assert result.lines == [
        f"job:    krea:{KREA_ID}",
        "status: failed",
        "error:  [nsfw_content] The prompt was flagged",
    ]


def test_get_shows_when_a_job_started_finished_and_how_long_it_took(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {
        "type": "image",
        "created_at": "2024-05-01T12:00:00+02:00",
        "completed_at": "2024-05-01T10:01:30Z",
    }
    sim.add_job("krea", KREA_ID, [Step(status="completed", fields=fields)])
    lines = jobctl("get", "krea", KREA_ID).lines
    assert lines[:3] == [f"job:      krea:{KREA_ID}", "status:   succeeded (completed)", "kind:     image"]
    assert re.fullmatch(r"created:  2024-05-01T10:00:00Z \(\d+d\d\dh ago\)", lines[3])
    assert re.fullmatch(r"finished: 2024-05-01T10:01:30Z \(\d+d\d\dh ago\)", lines[4])
    assert lines[5:] == ["took:     1m30s", f"outputs:  {KREA_URL}"]


# --- several jobs: the table ---------------------------------------------------------------------


def test_get_shows_several_jobs_as_a_table(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", "k1", [Step(status="processing", fields=TIMELESS)])
    sim.add_job("krea", "k2", [Step(status="completed", fields=TIMELESS)])
    failed = {**TIMELESS, "error": {"code": "nsfw", "message": "flagged"}}
    sim.add_job("krea", "k3", [Step(status="failed", fields=failed)])
    result = jobctl("get", "krea", "k1", "k2", "k3")
    assert (result.code, result.err) == (0, "")
    assert result.lines == [
        "PROVIDER  ID  STATUS                 KIND  AGE  TOOK  OUTPUT / ERROR",
        "krea      k1  running (processing)   -     -    -",
        "krea      k2  succeeded (completed)  -     -    -     https://gen.krea.ai/images/k2.png",
        "krea      k3  failed                 -     -    -     [nsfw] flagged",
    ]


def test_the_table_counts_further_outputs_and_mixes_providers_in_the_order_given(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("gepetto", GEPETTO_ID, [Step(status="pending", fields={"createdAt": None})])
    urls = {"urls": ["https://a/1.png", "https://a/2.png", "https://a/3.png"]}
    sim.add_job("krea", KREA_ID, [Step(status="completed", fields={**TIMELESS, "result": urls})])
    result = jobctl("get", f"gepetto:{GEPETTO_ID}", f"krea:{KREA_ID}")
    assert result.code == 0, result.err
    assert result.lines == [
        "PROVIDER  ID                                    STATUS                 KIND     AGE  TOOK  "
        "OUTPUT / ERROR",
        "gepetto   gp_8Kq2xR7wLm                         queued (pending)       furnish  -    -",
        f"krea      {KREA_ID}  succeeded (completed)  -        -    -     https://a/1.png (+2 more)",
    ]


# --- JSON -----------------------------------------------------------------------------------------


def test_get_json_prints_one_object_for_one_ref(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0
    assert len(result.lines) == 1
    data = json.loads(result.out)
    assert isinstance(data, dict)
    assert (data["provider"], data["id"], data["status"]) == ("krea", KREA_ID, "running")
    assert "raw" not in data


def test_get_json_prints_an_array_in_input_order_for_several_refs(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("gepetto", GEPETTO_ID, ["processing"])
    sim.add_job("aisquare", AISQUARE_ID, ["PENDING"])
    sim.add_job("krea", KREA_ID, ["completed"])
    sim.add_job("creatify", CREATIFY_ID, ["generating"])
    refs = [f"gepetto:{GEPETTO_ID}", f"krea:{KREA_ID}", f"aisquare:{AISQUARE_ID}", f"creatify:{CREATIFY_ID}"]
    result = jobctl("get", *refs, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [f"{j['provider']}:{j['id']}" for j in data] == refs
    assert [j["status"] for j in data] == ["running", "succeeded", "queued", "running"]


def test_get_json_is_an_array_when_several_refs_were_asked_for_even_if_one_failed(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "missing", "--json")
    assert result.code == 4
    assert [j["id"] for j in json.loads(result.out)] == [KREA_ID]


def direct_payload(sim: Simulator, provider: str, path: str) -> Any:
    headers = {"Authorization": f"Bearer {sim.keys[provider]['api_key']}"}
    return requests.get(sim.origin + path, headers=headers, timeout=5).json()


def test_get_raw_adds_the_providers_payload_unchanged(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("aisquare", AISQUARE_ID, [Step(status="COMPLETED", fields={"extra": {"kept": [1, None]}})])
    result = jobctl("get", "aisquare", AISQUARE_ID, "--json", "--raw")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["raw"] == direct_payload(
        sim, "aisquare", f"/aisquare/api/v2/orchestrations/jobs/{AISQUARE_ID}/"
    )
    assert data["raw"]["extra"] == {"kept": [1, None]}
    assert data["status"] == "succeeded"


def test_get_raw_alone_prints_json_with_raw_for_every_job(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    result = jobctl("get", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "--raw")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data[0]["raw"] == direct_payload(sim, "krea", f"/krea/jobs/{KREA_ID}")
    assert data[1]["raw"] == direct_payload(sim, "gepetto", f"/gepetto/v1/job/{GEPETTO_ID}")


# --- refs from stdin ------------------------------------------------------------------------------


def test_get_dash_reads_refs_from_stdin_skipping_blanks_comments_and_duplicates(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "k1", ["processing"])
    sim.add_job("krea", "k2", ["completed"])
    sim.add_job("gepetto", GEPETTO_ID, ["pending"])
    stdin = f"krea:k1\n\n# jobs from last night\r\ngepetto:{GEPETTO_ID}\r\n   krea:k1  \n\ufeffkrea k2\n\n"
    result = jobctl("get", "-", "--json", stdin=stdin)
    assert result.code == 0, result.err
    assert [f"{j['provider']}:{j['id']}" for j in json.loads(result.out)] == [
        "krea:k1",
        f"gepetto:{GEPETTO_ID}",
        "krea:k2",
    ]
    assert len(sim.requests_for("krea", "k1")) == 1


def test_get_without_refs_reads_a_piped_stdin(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "--json", stdin=f"krea:{KREA_ID}\n")
    assert result.code == 0, result.err
    # One ref is one object, wherever it came from (the contract: an array for several).
    assert json.loads(result.out)["id"] == KREA_ID


def test_get_provider_dash_reads_bare_ids_from_stdin(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("aisquare", "7", ["RUNNING"])
    sim.add_job("aisquare", "8", ["PENDING"])
    result = jobctl("get", "aisquare", "-", "--json", stdin="7\n007\n8\n")
    assert result.code == 0, result.err
    assert [j["id"] for j in json.loads(result.out)] == ["7", "8"]
    assert len(sim.requests_for("aisquare", "7")) == 1


def test_get_json_is_an_array_when_the_same_ref_is_given_twice_with_the_job_once(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    for args, stdin in (
        ([f"krea:{KREA_ID}", f"krea:{KREA_ID}"], ""),
        (["-"], f"krea:{KREA_ID}\nkrea {KREA_ID}\n"),
    ):
        result = jobctl("get", *args, "--json", stdin=stdin)
        assert result.code == 0, result.err
        assert [(j["provider"], j["id"]) for j in json.loads(result.out)] == [("krea", KREA_ID)]
    assert len(sim.requests_for("krea", KREA_ID)) == 2


@pytest.mark.parametrize(
    ("args", "refs"),
    [
        (["KREA:k1"], ["krea:k1"]),
        (["Krea:k1", "GEPETTO:gp1"], ["krea:k1", "gepetto:gp1"]),
        (["KREA", "k1"], ["krea:k1"]),
        (["kReA", "k1", "k2"], ["krea:k1", "krea:k2"]),
    ],
)
def test_provider_names_are_case_insensitive(
    args: list[str], refs: list[str], sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "k1", ["processing"])
    sim.add_job("krea", "k2", ["completed"])
    sim.add_job("gepetto", "gp1", ["pending"])
    result = jobctl("get", *args, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    jobs = data if len(refs) > 1 else [data]
    assert [f"{j['provider']}:{j['id']}" for j in jobs] == refs


def test_refs_quoted_by_jq_without_r_are_read_from_stdin(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "k1", ["processing"])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    sim.add_job("aisquare", "7", ["RUNNING"])
    stdin = f'"krea:k1"\n"GEPETTO {GEPETTO_ID}"\n'
    result = jobctl("get", "-", "--json", stdin=stdin)
    assert result.code == 0, result.err
    assert [f"{j['provider']}:{j['id']}" for j in json.loads(result.out)] == [
        "krea:k1",
        f"gepetto:{GEPETTO_ID}",
    ]
    bare = jobctl("get", "aisquare", "-", "--json", stdin='"7"\n')
    assert bare.code == 0, bare.err
    assert json.loads(bare.out)["id"] == "7"


def test_get_with_no_refs_at_all_is_a_usage_error(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    result = jobctl("get", stdin="\n# nothing here\n")
    assert result.code == 2
    assert result.err_lines == ["error: no job refs given; e.g. jobctl get krea ID  (see jobctl get --help)"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["kreaa:abc"],
            "unknown provider 'kreaa' (did you mean 'krea'?); "
            "supported: krea, creatify, unstructured, gepetto, aisquare",
        ),
        (["abc"], "'abc' is not a job ref; write PROVIDER:ID (e.g. krea:abc) or PROVIDER ID..."),
        (["krea"], "no job id given for krea; write: jobctl get krea ID"),
        (["krea:"], "'krea:' has no job id after ':'; write krea:ID"),
        ([":abc"], "':abc' has no provider before ':'; write PROVIDER:ID, e.g. krea:abc"),
    ],
)
def test_a_malformed_ref_is_a_usage_error_and_nothing_is_sent(
    args: list[str], message: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("get", *args)
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == [f"error: {message}"]
    assert sim.requests_for() == []


# --- several refs, some failing -------------------------------------------------------------------


def test_with_several_refs_the_good_ones_print_and_each_failure_gets_one_line(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "k1", [Step(status="processing", fields=TIMELESS)])
    sim.add_job("creatify", CREATIFY_ID, [Step(http_status=503)])
    sim.add_job("aisquare", "9", [Step(status="COMPLETED", fields={"created_at": None, "result": None})])
    result = jobctl(
        "get", "krea:k1", "krea:missing", f"creatify:{CREATIFY_ID}", "gepetto:a/b", "aisquare:9", "kreaa:x"
    )
    assert result.code == 2
    assert result.lines == [
        "PROVIDER  ID  STATUS                 KIND             AGE  TOOK  OUTPUT / ERROR",
        "krea      k1  running (processing)   -                -    -",
        "aisquare  9   succeeded (COMPLETED)  BLOG_GENERATION  -    -",
    ]
    assert result.err_lines == [
        'error: gepetto: invalid job id "a/b": '
        "expected a non-empty id without '/', spaces or control characters",
        "error: unknown provider 'kreaa' (did you mean 'krea'?); "
        "supported: krea, creatify, unstructured, gepetto, aisquare",
        "error: krea:missing: job not found (HTTP 404): Job not found",
        f"error: creatify:{CREATIFY_ID}: HTTP 503 Service Unavailable after 3 retries",
    ]
    assert sim.requests_for("gepetto") == []


@pytest.mark.parametrize(
    ("steps", "code"),
    [
        ({"missing": None, "flaky": Step(http_status=503)}, 5),
        ({"missing": None, "refused": Step(http_status=401, body='{"error": "no"}')}, 3),
        ({"flaky": Step(http_status=503), "refused": Step(http_status=403)}, 3),
        ({"missing": None, "other-missing": None}, 4),
    ],
)
def test_with_several_failures_the_exit_code_is_the_most_severe(
    steps: dict[str, Step | None], code: int, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "fine", ["processing"])
    for job_id, step in steps.items():
        if step is not None:
            sim.add_job("krea", job_id, [step])
    result = jobctl("get", "krea", "fine", *steps, "--json")
    assert result.code == code
    assert [j["id"] for j in json.loads(result.out)] == ["fine"]
    assert len(result.err_lines) == len(steps)


@pytest.mark.parametrize(
    ("provider", "word", "code"),
    [
        ("krea", "failed", 1),
        ("krea", "cancelled", 1),
        ("creatify", "rejected", 1),
        ("unstructured", "STOPPED", 1),
        ("krea", "completed", 0),
        ("krea", "processing", 0),
        ("krea", "mystery", 0),
    ],
)
def test_exit_status_exits_1_only_for_a_failed_or_cancelled_job(
    provider: str, word: str, code: int, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    job_id = {
        "krea": KREA_ID,
        "creatify": CREATIFY_ID,
        "unstructured": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    }[provider]
    sim.add_job(provider, job_id, [word])
    result = jobctl("get", provider, job_id, "--exit-status", "--json")
    assert result.code == code
    assert result.err == ""
    assert json.loads(result.out)["provider_status"] == word


def test_without_exit_status_a_failed_job_still_exits_0(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, ["failed"])
    assert jobctl("get", "krea", KREA_ID).code == 0


def test_exit_status_gives_way_to_a_more_severe_error(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, ["failed"])
    result = jobctl("get", "krea", KREA_ID, "missing", "--exit-status", "--json")
    assert result.code == 4
    assert json.loads(result.out)[0]["status"] == "failed"


# --- secrets ---------------------------------------------------------------------------------------


def test_debug_logs_each_request_and_answer_with_credentials_redacted(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("creatify", CREATIFY_ID, [Step(http_status=503, requests=1), Step(status="running")])
    result = jobctl("get", "creatify", CREATIFY_ID, "--json", "--debug")
    assert result.code == 0, result.err
    url = f"{sim.base_url('creatify')}/api/inspiration_jobs/{CREATIFY_ID}/"
    request_line, retry_line, answer_line = result.err_lines
    assert request_line.startswith(f"debug: GET {url} [")
    assert request_line.endswith("X-API-ID: ***, X-API-KEY: ***] timeout=30s")
    assert f"User-Agent: jobctl/{__version__}" in request_line
    assert re.fullmatch(
        rf"debug: retry 1/3 in \d+\.\d\ds after HTTP 503: /creatify/api/inspiration_jobs/{CREATIFY_ID}/",
        retry_line,
    )
    assert re.fullmatch(rf"debug: 200 OK \d+ bytes in \d+ms: {re.escape(url)}", answer_line)
    assert_no_secret(result.out, result.err)


@pytest.mark.parametrize("provider", ["krea", "unstructured", "gepetto", "aisquare"])
def test_debug_never_shows_a_key(provider: str, sim: Simulator, config_file: Path, jobctl: Any) -> None:
    job_id = {"unstructured": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "aisquare": "5"}.get(provider, "j1")
    sim.add_job(provider, job_id, ["running"])
    result = jobctl("get", provider, job_id, "--debug")
    assert result.code == 0, result.err
    assert "***" in result.err_lines[0]
    assert_no_secret(result.out, result.err)


def test_no_key_appears_in_any_output_of_get_providers_or_config(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    sim.add_job("creatify", CREATIFY_ID, [Step(http_status=401, body='{"detail": "Invalid API key"}')])
    sim.add_job("gepetto", GEPETTO_ID, [Step(http_status=500)])
    runs = [
        ("get", "krea", KREA_ID),
        ("get", "krea", KREA_ID, "--json", "--raw", "--debug"),
        (
            "get",
            f"krea:{KREA_ID}",
            f"creatify:{CREATIFY_ID}",
            f"gepetto:{GEPETTO_ID}",
            "krea:nope",
            "--debug",
        ),
        ("providers",),
        ("providers", "--json"),
        ("config", "show"),
        ("config", "show", "--json"),
        ("config", "check"),
    ]
    for args in runs:
        result = jobctl(*args)
        assert result.out or result.err
        assert_no_secret(result.out, result.err)


def test_a_key_echoed_back_in_a_provider_error_is_redacted(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step(http_status=401, body='{"error": "key sim-krea-key is revoked"}')])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 3
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: authentication refused (HTTP 401): key *** is revoked; "
        "check the krea key in your profile or KREA_API_KEY"
    ]


def test_a_key_echoed_back_in_a_job_payload_is_redacted_from_stdout(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {**TIMELESS, "error": {"code": "auth", "message": "key sim-krea-key has no credits"}}
    sim.add_job("krea", KREA_ID, [Step(status="failed", fields=fields)])
    result = jobctl("get", "krea", KREA_ID)
    assert "error:  [auth] key *** has no credits" in result.lines


def test_debug_in_a_real_process_shows_no_key(sim: Simulator, config_file: Path) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    proc = run_process("get", "krea", KREA_ID, "--debug", "--no-track")
    assert proc.returncode == 0, proc.stderr
    assert "Authorization: Bearer ***" in proc.stderr
    assert_no_secret(proc.stdout, proc.stderr)


# --- hostile provider text -------------------------------------------------------------------------

HOSTILE_ERROR = {
    "code": "\x1b[31mE1\x1b[0m",
    "message": "[red]x[/red] \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ \x1b[2Jdone\x07",
}


def test_escape_sequences_are_stripped_and_markup_kept_verbatim_in_the_detail_view(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", KREA_ID, [Step(status="failed", fields={**TIMELESS, "error": HOSTILE_ERROR})])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 0
    assert result.lines[-1] == "error:  [E1] [red]x[/red] click done"
    assert "\x1b" not in result.out and "\x07" not in result.out


def test_escape_sequences_are_stripped_and_markup_kept_verbatim_in_the_table(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("krea", "k1", [Step(status="failed", fields={**TIMELESS, "error": HOSTILE_ERROR})])
    sim.add_job("krea", "k2", [Step(status="processing", fields=TIMELESS)])
    result = jobctl("get", "krea", "k1", "k2")
    assert (
        result.lines[1] == "krea      k1  failed                -     -    -     [E1] [red]x[/red] click done"
    )
    assert "\x1b" not in result.out


def test_escape_sequences_in_json_are_escaped_not_raw(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step(status="failed", fields={"error": HOSTILE_ERROR})])
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert json.loads(result.out)["error"] == HOSTILE_ERROR


def test_escape_sequences_in_a_provider_error_never_reach_stderr(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    body = json.dumps({"error": "\x1b]0;pwned\x07\x1b[2J[bold]gone[/bold]\r\nfake: line"})
    sim.add_job("krea", KREA_ID, [Step(http_status=404, body=body)])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 4
    assert "\x1b" not in result.err and "\x07" not in result.err
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: job not found (HTTP 404): [bold]gone[/bold] fake: line"
    ]


def test_on_a_terminal_markup_in_provider_text_is_printed_verbatim(
    sim: Simulator, config_file: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch, on_a_terminal: None
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    sim.add_job("krea", KREA_ID, [Step(status="failed", fields={**TIMELESS, "error": HOSTILE_ERROR})])
    result = jobctl("get", "krea", KREA_ID)
    assert result.code == 0
    assert "\x1b" not in result.out
    assert any(line.startswith("error") and "[E1] [red]x[/red] click done" in line for line in result.lines)


def test_on_a_terminal_the_table_keeps_ids_and_prints_markup_verbatim(
    sim: Simulator, config_file: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch, on_a_terminal: None
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    sim.add_job("krea", "k1", [Step(status="failed", fields={**TIMELESS, "error": HOSTILE_ERROR})])
    sim.add_job("krea", "k2", [Step(status="processing", fields=TIMELESS)])
    result = jobctl("get", "krea", "k1", "k2")
    assert result.code == 0
    assert "\x1b" not in result.out
    rows = [line.split() for line in result.lines if line.strip().startswith("krea")]
    assert [row[:2] for row in rows] == [["krea", "k1"], ["krea", "k2"]]
    assert "[red]x[/red]" in result.out


# --- providers, version, help --------------------------------------------------------------------


def test_providers_lists_every_provider_with_its_base_url_and_auth_style(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("providers")
    assert (result.code, result.err) == (0, "")
    o = sim.origin
    assert result.lines == [
        f"krea          configured      built-in  {o}/krea  (Authorization: Bearer <api_key>)",
        f"creatify      configured      built-in  {o}/creatify  (X-API-ID: <api_id> + X-API-KEY: <api_key>)",
        f"unstructured  configured      built-in  {o}/unstructured  (unstructured-api-key: <api_key>)",
        f"gepetto       configured      built-in  {o}/gepetto  (Authorization: Bearer <api_key>)",
        f"aisquare      configured      built-in  {o}/aisquare  (Authorization: Bearer <api_key>)",
        "",
        f"profile 'test' from {config_file}",
    ]


def test_providers_marks_what_the_profile_lacks_as_not_configured(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    profile = {"krea": sim.profile(["krea"])["krea"], "aisquare": {"api_key": "abcd", "auth_scheme": "Token"}}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": profile}})
    result = jobctl("providers", "--config", str(path))
    assert result.code == 0
    assert result.lines[1:5] == [
        "creatify      not configured  built-in  https://api.creatify.ai  "
        "(X-API-ID: <api_id> + X-API-KEY: <api_key>)",
        "unstructured  not configured  built-in  https://platform.unstructuredapp.io  "
        "(unstructured-api-key: <api_key>)",
        "gepetto       not configured  built-in  https://europe-west1-gepettoai.cloudfunctions.net  "
        "(Authorization: Bearer <api_key>)",
        "aisquare      configured      built-in  https://api.aisquare.studio  "
        "(Authorization: Token <api_key>)",
    ]


def test_providers_json_describes_each_provider_and_holds_no_secret(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    result = jobctl("providers", "--json")
    assert result.code == 0
    rows = json.loads(result.out)
    assert [r["name"] for r in rows] == ["krea", "creatify", "unstructured", "gepetto", "aisquare"]
    assert rows[1] == {
        "name": "creatify",
        "title": "Creatify",
        "configured": True,
        "base_url": sim.base_url("creatify"),
        "auth": "X-API-ID: <api_id> + X-API-KEY: <api_key>",
        "credentials": ["CREATIFY_API_ID", "CREATIFY_API_KEY"],
        "docs": "https://docs.creatify.ai/api-reference/inspiration_jobs/get-apiinspiration_jobs-",
        "problem": None,
        "source": "built-in",
    }
    assert_no_secret(result.out)


def test_version_prints_the_package_version(jobctl: Any) -> None:
    result = jobctl("--version")
    assert (result.code, result.lines, result.err) == (0, [f"jobctl {__version__}"], "")


def test_python_dash_m_jobctl_runs_the_cli() -> None:
    proc = run_process("--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"jobctl {__version__}\n", "")


BUILT_COMMANDS = [
    ["get"],
    ["gallery"],
    ["cancel"],
    ["providers"],
    ["sim"],
    ["demo"],
    ["config", "path"],
    ["config", "show"],
    ["config", "check"],
]
WATCH_COMMANDS = [["watch"], ["ls"], ["forget"]]


@pytest.mark.parametrize(
    "command",
    [
        *BUILT_COMMANDS,
        *WATCH_COMMANDS,
        pytest.param([], id="root"),
        pytest.param(["config"], id="config"),
    ],
    ids=lambda c: " ".join(c) if isinstance(c, list) else None,
)
def test_every_command_has_help_with_examples(command: list[str], jobctl: Any) -> None:
    if command in WATCH_COMMANDS and jobctl("watch", "--help").code != 0:
        pytest.skip("watch is still being built")
    result = jobctl(*command, "--help")
    assert result.code == 0
    assert result.lines[0].startswith(f"Usage: jobctl {' '.join(command)}".rstrip())
    assert any(line.strip() == "Examples:" for line in result.lines)
    assert result.err == ""


# --- pipes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_writing_into_a_closed_pipe_ends_quietly_killed_by_sigpipe(
    as_json: bool, sim: Simulator, config_file: Path
) -> None:
    ids = [f"job-{n:03d}" for n in range(40)]
    for job_id in ids:
        sim.add_job("krea", job_id, ["processing"])
    args = ["get", "krea", *ids, "--no-track", *(["--json"] if as_json else [])]
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobctl", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -c 0`: the reader is gone before jobctl writes
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=30)
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err
    assert (code, err) == (-signal.SIGPIPE, "")  # 141 in a shell, as `yes | head -c0`
    assert len(sim.requests_for("krea")) == len(ids)


def test_a_key_the_provider_echoes_back_never_reaches_a_live_table_or_a_library_caller(
    sim: Simulator, config_file: Path, jobctl: Any, on_a_terminal: None
) -> None:
    import jobctl as library

    echo = json.dumps({"detail": "invalid key sim-krea-key, create a new one"})
    sim.add_job("krea", KREA_ID, [Step(http_status=401, body=echo)])
    wide = {"COLUMNS": "250"}  # the row whole, the provider's words and all
    watched = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--interval", "0.05", env=wide)
    assert watched.code == 3
    assert "invalid key ***" in watched.out  # the live table's row, drawn by rich
    assert "sim-krea-key" not in watched.out + watched.err
    with (
        library.Client(providers=sim.profile(["krea"]), env={}) as client,
        pytest.raises(library.AuthError) as info,
    ):
        client.get("krea", KREA_ID)
    assert "sim-krea-key" not in str(info.value) and "invalid key ***" in str(info.value)
