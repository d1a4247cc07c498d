"""The five providers: what goes on the wire, and how each payload becomes a normalized job.

Wire tests run the real CLI against the simulator; the many-input cases call
``PROVIDERS[name].normalize`` directly with spec-shaped payloads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import AISQUARE_ID, CREATIFY_ID, GEPETTO_ID, KREA_ID, UNSTRUCTURED_ID, write_config
from contract import (
    ALL_STATUS_CASES,
    AUTH_HEADERS,
    CREDENTIAL_HEADERS,
    DONE,
    PROVIDER_NAMES,
    SAMPLE_IDS,
    SAMPLE_PATHS,
)

from jobctl.errors import ProviderError
from jobctl.model import job_to_dict
from jobctl.providers import PROVIDERS
from jobctl.sim import Simulator
from jobctl.sim.server import Step


def get_json(jobctl: Any, provider: str, job_id: str) -> dict[str, Any]:
    result = jobctl("get", provider, job_id, "--json")
    assert result.code == 0, result.err
    assert result.err == ""
    data = json.loads(result.out)
    assert isinstance(data, dict)
    return data


def normalized(provider: str, payload: dict[str, Any], job_id: str | None = None) -> dict[str, Any]:
    return job_to_dict(PROVIDERS[provider].normalize(job_id or SAMPLE_IDS[provider], payload))


# --- on the wire -----------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_each_provider_sends_exactly_its_documented_credential_headers(
    provider: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job(provider, SAMPLE_IDS[provider], ["running"])
    result = jobctl("get", provider, SAMPLE_IDS[provider], "--json")
    assert result.code == 0, result.err
    (request,) = sim.requests_for(provider)
    sent = {k: v for k, v in request.headers.items() if k in CREDENTIAL_HEADERS}
    assert sent == AUTH_HEADERS[provider]


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_each_provider_requests_its_documented_path(
    provider: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job(provider, SAMPLE_IDS[provider], ["running"])
    assert jobctl("get", provider, SAMPLE_IDS[provider]).code == 0
    assert [r.path for r in sim.requests_for(provider)] == [SAMPLE_PATHS[provider]]


def test_aisquare_ids_are_sent_and_shown_in_canonical_form(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("aisquare", "7", ["RUNNING"])
    data = get_json(jobctl, "aisquare", "007")
    assert data["id"] == "7"
    assert [r.path for r in sim.requests_for("aisquare")] == ["/aisquare/api/v2/orchestrations/jobs/7/"]


def aisquare_token_profile(sim: Simulator, path: Path, scheme: str | None) -> Path:
    entry: dict[str, Any] = {**sim.keys["aisquare"], "base_url": sim.base_url("aisquare")}
    if scheme:
        entry["auth_scheme"] = scheme
    return write_config(path, {"profiles": {"default": {"aisquare": entry}}})


def test_aisquare_auth_scheme_from_the_profile_replaces_bearer(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    sim.reset(auth_scheme="Token")
    config = aisquare_token_profile(sim, tmp_path / "token.yaml", "Token")
    sim.add_job("aisquare", AISQUARE_ID, ["RUNNING"])
    result = jobctl("get", "aisquare", AISQUARE_ID, "--json", "--config", str(config))
    assert result.code == 0, result.err
    assert json.loads(result.out)["status"] == "running"
    (request,) = sim.requests_for("aisquare")
    assert request.headers["authorization"] == "Token sim-aisquare-key"


def test_aisquare_without_auth_scheme_sends_bearer_and_a_token_server_refuses_it(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    sim.reset(auth_scheme="Token")
    config = aisquare_token_profile(sim, tmp_path / "bearer.yaml", None)
    sim.add_job("aisquare", AISQUARE_ID, ["RUNNING"])
    result = jobctl("get", "aisquare", AISQUARE_ID, "--config", str(config))
    assert result.code == 3
    assert result.out == ""
    (request,) = sim.requests_for("aisquare")
    assert request.headers["authorization"] == "Bearer sim-aisquare-key"


# --- status words ------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "word", "status"), ALL_STATUS_CASES)
def test_every_documented_status_word_maps_to_its_normalized_status(
    provider: str, word: str, status: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job(provider, SAMPLE_IDS[provider], [word])
    data = get_json(jobctl, provider, SAMPLE_IDS[provider])
    assert (data["status"], data["provider_status"], data["done"]) == (status, word, status in DONE)


@pytest.mark.parametrize(("provider", "word", "status"), ALL_STATUS_CASES)
def test_status_words_match_whatever_their_case_and_keep_the_providers_spelling(
    provider: str, word: str, status: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    odd_case = word.swapcase()
    sim.add_job(provider, SAMPLE_IDS[provider], [odd_case])
    data = get_json(jobctl, provider, SAMPLE_IDS[provider])
    assert (data["status"], data["provider_status"], data["done"]) == (status, odd_case, status in DONE)


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_an_undocumented_status_word_is_unknown_not_done_and_shown_as_given(
    provider: str, sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job(provider, SAMPLE_IDS[provider], [Step(status="Paused_By_Admin", fields={"created_at": None})])
    data = get_json(jobctl, provider, SAMPLE_IDS[provider])
    assert (data["status"], data["provider_status"], data["done"]) == ("unknown", "Paused_By_Admin", False)
    detail = jobctl("get", provider, SAMPLE_IDS[provider])
    assert detail.code == 0
    assert [line for line in detail.lines if re.fullmatch(r"status: +unknown \(Paused_By_Admin\)", line)]


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_an_empty_status_word_is_unknown(provider: str) -> None:
    data = normalized(provider, {"status": ""})
    assert (data["status"], data["provider_status"], data["done"]) == ("unknown", "", False)


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
@pytest.mark.parametrize(
    ("payload", "said"),
    [
        ({}, "the answer has no 'status'"),
        ({"status": None}, "the answer has no 'status'"),
        ({"status": 3}, "the answer's 'status' is a number, not a word"),
        ({"status": ["done"]}, "the answer's 'status' is an array, not a word"),
        ({"status": {"state": "done"}}, "the answer's 'status' is an object, not a word"),
    ],
)
def test_an_object_without_a_status_word_is_not_a_job(
    provider: str, payload: dict[str, Any], said: str
) -> None:
    # Every spec requires the status: without one the body is not the documented job (exit 5).
    with pytest.raises(ProviderError) as caught:
        PROVIDERS[provider].normalize(SAMPLE_IDS[provider], payload)
    assert str(caught.value) == (
        f"{provider}:{SAMPLE_IDS[provider]}: {said}; not the documented {PROVIDERS[provider].title} job"
    )


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_surrounding_whitespace_in_a_status_word_does_not_hide_it(provider: str) -> None:
    word, status = next((w, s) for p, w, s in ALL_STATUS_CASES if p == provider and s == "succeeded")
    data = normalized(provider, {"status": f"  {word}\n"})
    assert data["status"] == status


# --- whole jobs through the CLI --------------------------------------------------------


def test_a_finished_krea_job_reads_type_times_and_every_url(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {
        "type": "image",
        "created_at": "2024-05-01T12:00:00+02:00",
        "completed_at": "2024-05-01T10:01:30.250Z",
        "result": {"urls": ["https://gen.krea.ai/a.png", "https://gen.krea.ai/b.png"]},
    }
    sim.add_job("krea", KREA_ID, [Step(status="completed", fields=fields)])
    assert get_json(jobctl, "krea", KREA_ID) == {
        "provider": "krea",
        "id": KREA_ID,
        "status": "succeeded",
        "provider_status": "completed",
        "done": True,
        "kind": "image",
        "created_at": "2024-05-01T10:00:00.000Z",
        "updated_at": None,
        "finished_at": "2024-05-01T10:01:30.250Z",
        "outputs": ["https://gen.krea.ai/a.png", "https://gen.krea.ai/b.png"],
        "results": {},
        "error": None,
        "outputs_expire_at": None,
        "outputs_removed": False,
    }


def test_a_failed_krea_job_reports_its_error_code_and_message(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {"error": {"code": "nsfw_content", "message": "The prompt was flagged"}}
    sim.add_job("krea", KREA_ID, [Step(status="failed", fields=fields)])
    data = get_json(jobctl, "krea", KREA_ID)
    assert (data["status"], data["outputs"]) == ("failed", [])
    assert data["error"] == {"code": "nsfw_content", "message": "The prompt was flagged"}


def test_a_finished_creatify_job_reads_gen_type_times_and_the_json_list_output(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    urls = ["https://cdn.creatify.ai/out/1.mp4", "https://cdn.creatify.ai/out/2.mp4"]
    fields = {
        "gen_type": "image_to_video",
        "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-05-01T12:05:00+02:00",
        "output": json.dumps(urls),
        "failed_reason": "",
    }
    sim.add_job("creatify", CREATIFY_ID, [Step(status="done", fields=fields)])
    assert get_json(jobctl, "creatify", CREATIFY_ID) == {
        "provider": "creatify",
        "id": CREATIFY_ID,
        "status": "succeeded",
        "provider_status": "done",
        "done": True,
        "kind": "image_to_video",
        "created_at": "2024-05-01T10:00:00.000Z",
        "updated_at": "2024-05-01T10:05:00.000Z",
        "finished_at": "2024-05-01T10:05:00.000Z",
        "outputs": urls,
        "results": {},
        "error": None,
        "outputs_expire_at": None,
        "outputs_removed": False,
    }


def test_a_rejected_creatify_job_reports_its_failed_reason(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {"failed_reason": "Input image is too small", "output": ""}
    sim.add_job("creatify", CREATIFY_ID, [Step(status="rejected", fields=fields)])
    data = get_json(jobctl, "creatify", CREATIFY_ID)
    assert (data["status"], data["outputs"]) == ("failed", [])
    assert data["error"] == {"code": None, "message": "Input image is too small"}


def test_a_finished_unstructured_job_reads_job_type_runtime_and_output_file_ids_beside_their_nodes(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {
        "created_at": "2024-05-01T10:00:00Z",
        "runtime": "PT1M30S",
        "job_type": "persistent",
        "output_node_files": [
            {"node_id": "3c90c3cc-0d44-4b50-8888-000000000001", "file_id": "out-1.json"},
            {"node_id": "3c90c3cc-0d44-4b50-8888-000000000002", "file_id": "out-2.json"},
        ],
    }
    sim.add_job("unstructured", UNSTRUCTURED_ID, [Step(status="COMPLETED", fields=fields)])
    assert get_json(jobctl, "unstructured", UNSTRUCTURED_ID) == {
        "provider": "unstructured",
        "id": UNSTRUCTURED_ID,
        "status": "succeeded",
        "provider_status": "COMPLETED",
        "done": True,
        "kind": "persistent",
        "created_at": "2024-05-01T10:00:00.000Z",
        "updated_at": None,
        "finished_at": "2024-05-01T10:01:30.000Z",
        "outputs": ["out-1.json", "out-2.json"],
        "results": {"output_node_files": fields["output_node_files"]},
        "error": None,
        "outputs_expire_at": None,
        "outputs_removed": False,
    }


def test_a_finished_gepetto_job_reads_mode_created_at_and_output(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {
        "mode": "furnish",
        "createdAt": "2023-09-29T13:17:21.774Z",
        "output": "https://storage.googleapis.com/gepetto/x.jpg",
    }
    sim.add_job("gepetto", GEPETTO_ID, [Step(status="success", fields=fields)])
    assert get_json(jobctl, "gepetto", GEPETTO_ID) == {
        "provider": "gepetto",
        "id": GEPETTO_ID,
        "status": "succeeded",
        "provider_status": "success",
        "done": True,
        "kind": "furnish",
        "created_at": "2023-09-29T13:17:21.774Z",
        "updated_at": None,
        "finished_at": None,
        "outputs": ["https://storage.googleapis.com/gepetto/x.jpg"],
        "results": {},
        "error": None,
        "outputs_expire_at": None,
        "outputs_removed": False,
    }


def test_a_finished_aisquare_job_reads_type_times_and_result(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    fields = {
        "type": "BLOG_GENERATION",
        "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-05-01T10:02:00.5-01:00",
        "result": {"blog_id": 420, "url": "https://aisquare.studio/blog/1042"},
        "error_message": None,
    }
    sim.add_job("aisquare", AISQUARE_ID, [Step(status="COMPLETED", fields=fields)])
    assert get_json(jobctl, "aisquare", AISQUARE_ID) == {
        "provider": "aisquare",
        "id": AISQUARE_ID,
        "status": "succeeded",
        "provider_status": "COMPLETED",
        "done": True,
        "kind": "BLOG_GENERATION",
        "created_at": "2024-05-01T10:00:00.000Z",
        "updated_at": "2024-05-01T11:02:00.500Z",
        "finished_at": "2024-05-01T11:02:00.500Z",
        "outputs": ["https://aisquare.studio/blog/1042"],
        "results": {"blog_id": 420},
        "error": None,
        "outputs_expire_at": None,
        "outputs_removed": False,
    }


def test_a_failed_aisquare_job_reports_its_error_message(
    sim: Simulator, config_file: Path, jobctl: Any
) -> None:
    sim.add_job("aisquare", AISQUARE_ID, [Step(status="FAILED", fields={"error_message": "Model timed out"})])
    data = get_json(jobctl, "aisquare", AISQUARE_ID)
    assert data["status"] == "failed"
    assert data["error"] == {"code": None, "message": "Model timed out"}


# --- outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "outputs", "results"),
    [
        ({"urls": ["https://gen.krea.ai/1.png"]}, ["https://gen.krea.ai/1.png"], {}),
        ({"urls": ["https://a/1.png"], "style_id": "st_9"}, ["https://a/1.png"], {"style_id": "st_9"}),
        ({"style_id": "st_9"}, [], {"style_id": "st_9"}),
        ({"urls": [{"url": "https://a/1.png"}, "https://a/2"]}, ["https://a/1.png", "https://a/2"], {}),
        ({"urls": []}, [], {}),
        ({}, [], {}),
        (None, [], {}),
        ("not an object", [], {}),
    ],
)
def test_krea_outputs_are_the_result_urls_and_the_style_id_is_a_result(
    result: object, outputs: list[str], results: dict[str, object]
) -> None:
    job = normalized("krea", {"status": "completed", "result": result})
    assert (job["outputs"], job["results"]) == (outputs, results)


def test_krea_preview_urls_of_a_running_job_are_not_outputs() -> None:
    job = normalized(
        "krea", {"status": "intermediate-complete", "result": {"urls": ["https://a/preview.png"]}}
    )
    assert (job["status"], job["outputs"]) == ("running", [])


@pytest.mark.parametrize(
    ("output", "outputs"),
    [
        ("https://cdn.creatify.ai/out/1.mp4", ["https://cdn.creatify.ai/out/1.mp4"]),
        ('["https://cdn/1.mp4", "https://cdn/2.mp4"]', ["https://cdn/1.mp4", "https://cdn/2.mp4"]),
        ("['https://cdn/1.mp4', 'https://cdn/2.mp4']", ["https://cdn/1.mp4", "https://cdn/2.mp4"]),
        ("['https://cdn/1.mp4',]", ["https://cdn/1.mp4"]),
        (
            [{"url": "https://cdn/1.mp4"}, {"url": "https://cdn/2.mp4"}],
            ["https://cdn/1.mp4", "https://cdn/2.mp4"],
        ),
        ('[{"url": "https://cdn/1.mp4"}]', ["https://cdn/1.mp4"]),
        (" https://cdn/1.mp4 \n", ["https://cdn/1.mp4"]),
        ("[]", []),
        ("", []),
        (None, []),
    ],
)
def test_creatify_output_may_be_a_url_a_json_or_python_list_or_objects_with_a_url(
    output: object, outputs: list[str]
) -> None:
    assert normalized("creatify", {"status": "done", "output": output})["outputs"] == outputs


def test_a_python_style_list_is_read_by_pattern_never_evaluated() -> None:
    text = "[__import__('os').system('false')]"
    assert normalized("creatify", {"status": "done", "output": text})["outputs"] == [text]


@pytest.mark.parametrize(
    ("files", "outputs"),
    [
        (
            [{"node_id": "n1", "file_id": "a.json"}, {"node_id": "n2", "file_id": "b.json"}],
            ["a.json", "b.json"],
        ),
        ([{"node_id": "n1"}, {"file_id": ""}, {"file_id": 7}, "junk", {"file_id": "c.json"}], ["c.json"]),
        ([], []),
        (None, []),
        ({"file_id": "not-a-list.json"}, []),
    ],
)
def test_unstructured_outputs_are_the_output_node_file_ids(files: object, outputs: list[str]) -> None:
    assert (
        normalized("unstructured", {"status": "COMPLETED", "output_node_files": files})["outputs"] == outputs
    )


@pytest.mark.parametrize(
    ("output", "outputs"),
    [("https://storage/x.jpg", ["https://storage/x.jpg"]), (None, []), ("", [])],
)
def test_gepetto_output_is_its_single_output_url(output: object, outputs: list[str]) -> None:
    assert normalized("gepetto", {"status": "success", "output": output})["outputs"] == outputs


@pytest.mark.parametrize(
    ("result", "outputs", "results"),
    [
        (
            {"blog_id": 420, "url": "https://aisquare.studio/blog/42"},
            ["https://aisquare.studio/blog/42"],
            {"blog_id": 420},
        ),
        (["https://a/1", "https://a/2"], ["https://a/1", "https://a/2"], {}),
        ("https://a/1", ["https://a/1"], {}),
        ({"ids": [1, 2]}, [], {"ids": [1, 2]}),
        (
            {"post": {"id": 7, "cover": "https://a/c.png", "tags": ["x"]}, "files": ["https://a/1"]},
            ["https://a/c.png", "https://a/1"],
            {"post": {"id": 7, "tags": ["x"]}},
        ),
        ({"empty": {}, "none": None}, [], {"empty": {}, "none": None}),
        ("a summary", [], {"result": "a summary"}),
        (None, [], {}),
    ],
)
def test_aisquare_result_urls_are_outputs_and_the_rest_keeps_its_structure(
    result: object, outputs: list[str], results: dict[str, object]
) -> None:
    job = normalized("aisquare", {"status": "COMPLETED", "result": result})
    assert (job["outputs"], job["results"]) == (outputs, results)


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": "nsfw", "message": "flagged"}, {"code": "nsfw", "message": "flagged"}),
        ({"code": "timeout"}, {"code": "timeout", "message": None}),
        ({"code": 500, "message": "boom"}, {"code": "500", "message": "boom"}),
        ({"message": "only words"}, {"code": None, "message": "only words"}),
        ({}, None),
        (None, None),
        ("a string", {"code": None, "message": "a string"}),
        ("  ", None),
    ],
)
def test_krea_error_is_read_from_its_code_and_message_or_a_string(error: object, expected: object) -> None:
    assert normalized("krea", {"status": "failed", "error": error})["error"] == expected


@pytest.mark.parametrize(
    "result",
    [{"error": {"code": "nsfw", "message": "flagged"}}, {"error": "flagged"}],
)
def test_krea_error_may_sit_under_result(result: dict[str, object]) -> None:
    error = normalized("krea", {"status": "failed", "result": result})["error"]
    assert error is not None and error["message"] == "flagged"


@pytest.mark.parametrize("key", ["error", "message"])
def test_a_failed_gepetto_jobs_error_or_message_string_is_its_error(key: str) -> None:
    job = normalized("gepetto", {"status": "failed", key: "GPU out of memory"})
    assert job["error"] == {"code": None, "message": "GPU out of memory"}


def test_a_running_gepetto_jobs_message_is_not_an_error() -> None:
    assert normalized("gepetto", {"status": "processing", "message": "warming up"})["error"] is None


def test_creatify_failed_reason_is_an_error_only_for_a_failed_job() -> None:
    left_over = normalized("creatify", {"status": "done", "failed_reason": "retried after a timeout"})
    assert left_over["error"] is None
    assert normalized("creatify", {"status": "rejected", "failed_reason": "nsfw"})["error"] == {
        "code": None,
        "message": "nsfw",
    }


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("canceled", "cancelled"),
        ("CANCELLED", "cancelled"),
        ("errored", "failed"),
        ("failure", "failed"),
        ("expired", "failed"),
        ("timed_out", "failed"),
        ("Timeout", "failed"),
        ("succeeded", "succeeded"),
        ("complete", "succeeded"),
        ("finished", "succeeded"),
        ("Done", "succeeded"),
        ("warming-up", "unknown"),
    ],
)
@pytest.mark.parametrize("provider", ["krea", "creatify", "unstructured", "gepetto", "aisquare"])
def test_terminal_words_outside_the_specs_map_by_meaning(provider: str, word: str, status: str) -> None:
    job = normalized(provider, {"status": word})
    assert (job["status"], job["provider_status"], job["done"]) == (status, word, status != "unknown")


@pytest.mark.parametrize(("provider", "key"), [("creatify", "failed_reason"), ("aisquare", "error_message")])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("went wrong", {"code": None, "message": "went wrong"}),
        ("", None),
        ("   ", None),
        (None, None),
        (42, None),
    ],
)
def test_a_providers_failure_text_becomes_the_error_message(
    provider: str, key: str, value: object, expected: object
) -> None:
    assert normalized(provider, {"status": "failed", key: value})["error"] == expected


@pytest.mark.parametrize("provider", ["unstructured", "gepetto"])
def test_providers_without_an_error_field_report_no_error(provider: str) -> None:
    payload = {"status": "FAILED" if provider == "unstructured" else "failed", "error": {"code": "x"}}
    assert normalized(provider, payload)["error"] is None


# --- timestamps ---------------------------------------------------------------------------

CREATED_KEY = {
    "krea": "created_at",
    "creatify": "created_at",
    "unstructured": "created_at",
    "gepetto": "createdAt",
    "aisquare": "created_at",
}


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.000Z"),
        ("2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.000Z"),
        ("2024-05-01T04:30:00-05:30", "2024-05-01T10:00:00.000Z"),
        ("2024-05-01T23:30:00-0100", "2024-05-02T00:30:00.000Z"),
        ("2024-05-01T10:00:00.123456Z", "2024-05-01T10:00:00.123Z"),
        ("2024-05-01T10:00:00.5+00:00", "2024-05-01T10:00:00.500Z"),
        ("2024-05-01 10:00:00", "2024-05-01T10:00:00.000Z"),
        ("2024-05-01T10:00:00", "2024-05-01T10:00:00.000Z"),
        ("yesterday", None),
        ("2024-13-01T10:00:00Z", None),
        ("", None),
        (1714557600, None),
        (None, None),
    ],
)
def test_created_times_are_iso_8601_utc_with_z_whatever_offset_the_provider_used(
    provider: str, given: object, shown: str | None
) -> None:
    assert normalized(provider, {"status": "running", CREATED_KEY[provider]: given})["created_at"] == shown


def test_krea_completed_at_is_the_finish_time() -> None:
    data = normalized("krea", {"status": "completed", "completed_at": "2024-05-01T12:00:00+02:00"})
    assert (data["updated_at"], data["finished_at"]) == (None, "2024-05-01T10:00:00.000Z")


@pytest.mark.parametrize(("provider", "done_word"), [("creatify", "done"), ("aisquare", "COMPLETED")])
def test_updated_at_is_the_finish_time_only_once_the_job_is_done(provider: str, done_word: str) -> None:
    running = normalized(provider, {"status": "running", "updated_at": "2024-05-01T12:00:00+02:00"})
    assert (running["updated_at"], running["finished_at"]) == ("2024-05-01T10:00:00.000Z", None)
    done = normalized(provider, {"status": done_word, "updated_at": "2024-05-01T12:00:00+02:00"})
    ten = "2024-05-01T10:00:00.000Z"
    assert (done["updated_at"], done["finished_at"]) == (ten, ten)


@pytest.mark.parametrize(
    ("status", "runtime", "finished"),
    [
        ("COMPLETED", "PT1M30S", "2024-05-01T10:01:30.000Z"),
        ("FAILED", "PT0.250S", "2024-05-01T10:00:00.250Z"),
        ("STOPPED", "1:00:00", "2024-05-01T11:00:00.000Z"),
        ("IN_PROGRESS", "PT1M30S", None),
        ("COMPLETED", None, None),
        ("COMPLETED", "soon", None),
        ("COMPLETED", "P1000000000D", None),
    ],
)
def test_unstructured_finish_time_is_created_at_plus_runtime_for_finished_jobs(
    status: str, runtime: object, finished: str | None
) -> None:
    payload = {"status": status, "created_at": "2024-05-01T10:00:00Z", "runtime": runtime}
    assert normalized("unstructured", payload)["finished_at"] == finished


def test_an_unstructured_runtime_past_year_9999_is_ignored_not_an_error() -> None:
    payload = {"status": "COMPLETED", "created_at": "9999-12-31T23:00:00Z", "runtime": "PT2H"}
    data = normalized("unstructured", payload)
    assert (data["status"], data["finished_at"]) == ("succeeded", None)


# --- kind ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "payload", "kind"),
    [
        ("krea", {"type": "video"}, "video"),
        ("krea", {}, None),
        ("creatify", {"gen_type": "image_to_video"}, "image_to_video"),
        ("unstructured", {"job_type": "ephemeral", "workflow_name": "invoices"}, "ephemeral"),
        ("unstructured", {"workflow_name": "invoices"}, "invoices"),
        ("unstructured", {"job_type": "", "workflow_name": "invoices"}, "invoices"),
        ("gepetto", {"mode": "upscale"}, "upscale"),
        ("aisquare", {"type": "PODCAST_AUDIO"}, "PODCAST_AUDIO"),
        ("aisquare", {"type": None}, None),
        ("gepetto", {"mode": ["not", "text"]}, None),
    ],
)
def test_kind_comes_from_each_providers_own_field(
    provider: str, payload: dict[str, Any], kind: str | None
) -> None:
    assert normalized(provider, {"status": "running", **payload})["kind"] == kind


# --- identity and activity -----------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_the_job_id_is_the_one_asked_for_not_one_from_the_payload(provider: str) -> None:
    data = normalized(provider, {"status": "running", "id": "someone-else", "job_id": "other"})
    assert (data["provider"], data["id"]) == (provider, SAMPLE_IDS[provider])


def test_aisquare_activity_is_the_newest_event_by_time() -> None:
    events = [
        {"type": "LOG", "content": "second", "created_at": "2024-05-01T10:00:02Z"},
        {"type": "THOUGHT", "content": "third  \n spread out", "created_at": "2024-05-01T10:00:03Z"},
        {"type": "LOG", "content": "first", "created_at": "2024-05-01T10:00:01Z"},
    ]
    job = PROVIDERS["aisquare"].normalize("1", {"status": "RUNNING", "events": events})
    assert job.activity == "THOUGHT: third spread out"


def test_aisquare_activity_is_the_last_event_in_the_list_when_times_are_missing() -> None:
    events = [{"type": "LOG", "content": "a"}, {"content": "b"}, {"type": "LOG", "content": ""}, "junk"]
    job = PROVIDERS["aisquare"].normalize("1", {"status": "RUNNING", "events": events})
    assert job.activity == "b"


def test_aisquare_activity_shows_in_the_detail_view(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    sim.add_job(
        "aisquare",
        AISQUARE_ID,
        [
            Step(
                status="RUNNING",
                requests=1,
                event=("LOG", "Drafting section 1/3"),
                fields={"created_at": None},
            ),
            Step(status="RUNNING", event=("LOG", "Drafting section 2/3")),
        ],
    )
    assert "activity: LOG: Drafting section 1/3" in jobctl("get", "aisquare", AISQUARE_ID).lines
    assert "activity: LOG: Drafting section 2/3" in jobctl("get", "aisquare", AISQUARE_ID).lines


def test_the_simulator_answers_at_the_specs_paths_not_at_the_clients(
    sim: Simulator, config_file: Path, jobctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client that read its path wrong must fail against the simulator, as against Krea.
    sim.add_job("krea", KREA_ID, ["completed"])
    assert jobctl("get", "krea", KREA_ID).code == 0
    monkeypatch.setattr(type(PROVIDERS["krea"]), "path", "/job/{id}")
    sim.reset(clock=sim.time_source)  # the routes are read again
    sim.add_job("krea", KREA_ID, ["completed"])
    wrong = jobctl("get", "krea", KREA_ID)
    assert wrong.code == 4, wrong.err
