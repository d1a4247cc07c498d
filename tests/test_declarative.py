"""Providers declared in the config file: the Replicate example through get, watch and
the journal; dotted paths; the vocabulary for undeclared words; mistakes named by line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import replicate
import yaml
from conftest import KREA_ID, write_config
from hypothesis import given
from hypothesis import strategies as st
from replicate import KEY, MODEL, PREDICTION_ID

from jobctl.model import format_timestamp, job_to_dict
from jobctl.providers.declarative import declare
from jobctl.sim import Simulator, Step

FAST = ("--interval", "0.05", "--max-interval", "0.1")
README = Path(__file__).parent.parent / "README.md"


@pytest.fixture
def replicate_config(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config.example.yaml's Replicate declaration, pointed at a simulated Replicate."""
    replicate.serve(sim)
    path = write_config(tmp_path / "config.yaml", replicate.config(sim))
    monkeypatch.setenv("JOBCTL_CONFIG", str(path))
    return path


def get_json(jobctl: Any, *args: str) -> dict[str, Any]:
    result = jobctl("get", *args, "--json")
    assert (result.code, result.err) == (0, ""), result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


# --- the Replicate example ------------------------------------------------------------------


def test_the_replicate_example_reads_a_succeeded_prediction(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, ["succeeded"])
    data = get_json(jobctl, "replicate", PREDICTION_ID)
    created = sim.jobs[("replicate", PREDICTION_ID)].created
    assert data == {
        "provider": "replicate",
        "id": PREDICTION_ID,
        "status": "succeeded",
        "provider_status": "succeeded",
        "done": True,
        "kind": MODEL,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
        "updated_at": None,
        "finished_at": data["finished_at"],
        "outputs": [f"https://replicate.delivery/xezq/{PREDICTION_ID}/out-0.webp"],
        "results": {},
        "error": None,
        "outputs_expire_at": data["outputs_expire_at"],
        "outputs_removed": False,
    }
    assert data["finished_at"].endswith("Z") and data["finished_at"] >= data["created_at"]
    finished = datetime.fromisoformat(data["finished_at"].replace("Z", "+00:00"))
    assert data["outputs_expire_at"] == format_timestamp(finished + timedelta(hours=1))


def test_the_replicate_example_sends_its_path_and_bearer_key(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, ["processing"])
    assert jobctl("get", f"replicate:{PREDICTION_ID}").code == 0
    (request,) = sim.requests_for("replicate")
    assert request.path == f"/replicate/v1/predictions/{PREDICTION_ID}"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_a_failed_prediction_shows_its_error_string(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, ["failed"])
    result = jobctl("get", "replicate", PREDICTION_ID, "--json", "--exit-status")
    assert result.code == 1
    data = json.loads(result.out)
    assert (data["status"], data["error"], data["outputs"]) == (
        "failed",
        {"code": None, "message": "CUDA out of memory"},
        [],
    )


@pytest.mark.parametrize(
    ("output", "outputs", "results"),
    [
        ("https://replicate.delivery/a/out.png", ["https://replicate.delivery/a/out.png"], {}),
        (
            ["https://replicate.delivery/a/0.png", "https://replicate.delivery/a/1.png"],
            ["https://replicate.delivery/a/0.png", "https://replicate.delivery/a/1.png"],
            {},
        ),
        (
            [{"url": "https://replicate.delivery/a/v.mp4", "size": 3}],
            ["https://replicate.delivery/a/v.mp4"],
            {},
        ),
        (None, [], {}),
        # Any other JSON is no file; it stays a named value.
        ("A lighthouse at dusk.", [], {"output": "A lighthouse at dusk."}),
        (
            {"image": "https://replicate.delivery/a/i.png", "seed": 4127},
            ["https://replicate.delivery/a/i.png"],
            {"output": {"seed": 4127}},
        ),
    ],
)
def test_a_prediction_output_may_be_a_url_a_list_of_urls_or_any_json(
    output: Any,
    outputs: list[str],
    results: dict[str, Any],
    sim: Simulator,
    replicate_config: Path,
    jobctl: Any,
) -> None:
    sim.add_job("replicate", PREDICTION_ID, [Step(status="succeeded", fields={"output": output})])
    data = get_json(jobctl, "replicate", PREDICTION_ID)
    assert (data["outputs"], data["results"]) == (outputs, results)


def test_watch_follows_a_prediction_from_starting_to_succeeded(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job(
        "replicate",
        PREDICTION_ID,
        [Step("starting", requests=2), Step("processing", requests=2), "succeeded"],
    )
    result = jobctl("watch", f"replicate:{PREDICTION_ID}", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.lines]
    assert [(d["status"], d["provider_status"]) for d in lines] == [
        ("queued", "starting"),
        ("running", "processing"),
        ("succeeded", "succeeded"),
    ]
    assert lines[-1]["outputs"] == [f"https://replicate.delivery/xezq/{PREDICTION_ID}/out-0.webp"]


def test_watch_exits_1_when_a_prediction_is_canceled(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, ["processing", "canceled"])
    result = jobctl("watch", f"replicate:{PREDICTION_ID}", "--until-done", *FAST)
    assert result.code == 1
    assert result.lines[-1].endswith(f"replicate:{PREDICTION_ID}  cancelled (canceled)")


def test_a_declared_provider_is_tracked_and_watched_from_the_journal(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, [Step("processing", requests=1), "succeeded"])
    assert jobctl("get", "replicate", PREDICTION_ID).code == 0
    listed = jobctl("ls", "--json")
    assert [(j["provider"], j["id"], j["status"]) for j in json.loads(listed.out)] == [
        ("replicate", PREDICTION_ID, "running")
    ]
    result = jobctl("watch", "--until-done", "--json", *FAST)
    assert result.code == 0, result.err
    assert json.loads(result.lines[-1])["status"] == "succeeded"
    assert jobctl("forget", f"replicate:{PREDICTION_ID}").lines == ["forgot 1 job"]


def test_the_replicate_example_takes_its_key_from_replicate_api_token(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    replicate.serve(sim)
    data = replicate.config(sim)
    del data["profiles"]["test"]["replicate"]["api_key"]
    path = write_config(tmp_path / "c.yaml", data)
    sim.add_job("replicate", PREDICTION_ID, ["processing"])
    result = jobctl(
        "get", "replicate", PREDICTION_ID, "--config", str(path), env={"REPLICATE_API_TOKEN": KEY}
    )
    assert (result.code, result.err) == (0, "")
    missing = jobctl(
        "get", "replicate", PREDICTION_ID, "--config", str(path), env={"REPLICATE_API_TOKEN": ""}
    )
    assert missing.code == 2
    assert missing.err_lines == [
        f"error: replicate: no api_key in profile 'test' of {path}; "
        "set profiles.test.replicate.api_key there or export REPLICATE_API_TOKEN=..."
    ]


def test_a_declared_provider_without_auth_env_takes_its_key_from_name_api_key(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    replicate.serve(sim)
    data = replicate.config(sim)
    del data["profiles"]["test"]["replicate"]["api_key"]
    del data["providers"]["replicate"]["auth"]["env"]
    path = write_config(tmp_path / "c.yaml", data)
    sim.add_job("replicate", PREDICTION_ID, ["processing"])
    result = jobctl("get", "replicate", PREDICTION_ID, "--config", str(path), env={"REPLICATE_API_KEY": KEY})
    assert (result.code, result.err) == (0, "")


def test_the_key_of_a_declared_provider_never_shows_in_debug_output(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, ["processing"])
    result = jobctl("get", "replicate", PREDICTION_ID, "--debug")
    assert result.code == 0
    assert KEY not in result.out + result.err
    assert "Authorization: Bearer ***" in result.err


def test_config_check_accepts_the_example_and_a_budget_for_the_declared_provider(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(tmp_path / "c.yaml", replicate.config(sim, max_rpm=60))
    result = jobctl("config", "check", "--config", str(path))
    assert (result.code, result.err) == (0, "")
    assert result.lines == [
        f"ok: {path}, profile 'test': krea, creatify, unstructured, gepetto, aisquare, replicate configured"
    ]


def test_providers_says_a_declared_provider_comes_from_the_config_file(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    text = jobctl("providers")
    assert text.lines[0].split()[:3] == ["krea", "configured", "built-in"]
    assert text.lines[5] == (
        f"replicate     configured      {replicate_config}  "
        f"{sim.base_url('replicate')}  (Authorization: Bearer <api_key>)"
    )
    rows = json.loads(jobctl("providers", "--json").out)
    assert rows[5] == {
        "name": "replicate",
        "title": "Replicate",
        "configured": True,
        "base_url": sim.base_url("replicate"),
        "auth": "Authorization: Bearer <api_key>",
        "credentials": ["REPLICATE_API_TOKEN"],
        "docs": "https://replicate.com/docs/reference/http#predictions.get",
        "problem": None,
        "source": str(replicate_config),
    }


def test_the_readme_shows_the_same_replicate_declaration_as_the_example_file() -> None:
    text = README.read_text()
    block = text.split("```yaml\nproviders:\n", 1)[1].split("```", 1)[0]
    assert yaml.safe_load("providers:\n" + block)["providers"]["replicate"] == replicate.declaration()


# --- the whole life of a prediction: list, cancel, expiry -------------------------------------


def finished_ago(minutes: float) -> dict[str, str]:
    """A succeeded prediction's times, finished ``minutes`` ago (the suite's clock is the real one)."""
    now = datetime.now(timezone.utc)
    return {
        "created_at": replicate.stamp(now - timedelta(minutes=minutes + 1)),
        "completed_at": replicate.stamp(now - timedelta(minutes=minutes)),
    }


def test_ls_remote_follows_replicates_next_url_across_pages(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobctl: Any
) -> None:
    replicate.serve(sim, page_size=2)
    monkeypatch.setenv("JOBCTL_CONFIG", str(write_config(tmp_path / "c.yaml", replicate.config(sim))))
    ids = [f"{PREDICTION_ID[:-1]}{n}" for n in range(3)]
    start = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    for n, job_id in enumerate(ids):
        sim.add_job("replicate", job_id, ["processing"], created=start + timedelta(minutes=n))
    result = jobctl("ls", "--remote", "replicate", "--json")
    assert result.code == 0, result.err
    assert [(j["id"], j["status"]) for j in json.loads(result.out)] == [
        (ids[2], "running"),
        (ids[1], "running"),
        (ids[0], "running"),
    ]
    assert [(r.path, r.query) for r in sim.requests_for("replicate")] == [
        ("/replicate/v1/predictions", ""),
        ("/replicate/v1/predictions", "cursor=p2"),
    ]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in sim.requests_for("replicate"))


def test_a_next_url_on_another_origin_is_not_followed(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    first = replicate.prediction(
        PREDICTION_ID, "processing", datetime.now(timezone.utc), datetime.now(timezone.utc)
    )
    page = {"previous": None, "next": "https://evil.example/v1/predictions?cursor=k3y", "results": [first]}
    sim.add_answers("replicate", "GET", "/v1/predictions", [Step(body=json.dumps(page))])
    result = jobctl("ls", "--remote", "replicate", "--debug")
    assert (result.code, result.out) == (5, "")
    assert result.err_lines[-1] == (
        "error: replicate: the list's next page is at https://evil.example/v1/predictions, not on the "
        f"provider's origin {sim.origin}; not followed"
    )
    assert len(sim.requests_for("replicate")) == 1
    assert KEY not in result.err and "k3y" not in result.err


def test_cancel_of_a_prediction_posts_to_its_cancel_path(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, ["processing"])
    result = jobctl("cancel", f"replicate:{PREDICTION_ID}")
    assert (result.code, result.err) == (0, "")
    assert result.lines[:2] == [f"job:      replicate:{PREDICTION_ID}", "status:   cancelled (canceled)"]
    path = f"/replicate/v1/predictions/{PREDICTION_ID}"
    assert [(r.method, r.path) for r in sim.requests_for("replicate")] == [
        ("GET", path),
        ("POST", f"{path}/cancel"),
        ("GET", path),
    ]


def test_an_aborted_prediction_is_cancelled_and_ends_watch(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, [Step("starting", requests=1), "aborted"])
    result = jobctl("watch", f"replicate:{PREDICTION_ID}", "--until-done", "--json", "--timeout", "60", *FAST)
    assert result.code == 1, result.err
    assert [(d["status"], d["provider_status"], d["done"]) for d in map(json.loads, result.lines)] == [
        ("queued", "starting", False),
        ("cancelled", "aborted", True),
    ]


def test_a_succeeded_predictions_outputs_expire_an_hour_after_it_finished(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    times = finished_ago(18)
    sim.add_job("replicate", PREDICTION_ID, [Step("succeeded", fields=times)])
    data = get_json(jobctl, "replicate", PREDICTION_ID)
    finished = datetime.fromisoformat(data["finished_at"].replace("Z", "+00:00"))
    assert (data["outputs_expire_at"], data["outputs_removed"]) == (
        format_timestamp(finished + timedelta(hours=1)),
        False,
    )
    shown = jobctl("get", "replicate", PREDICTION_ID).lines
    assert shown[-2:] == [
        f"outputs:  https://replicate.delivery/xezq/{PREDICTION_ID}/out-0.webp",
        "expiry:   outputs expire in 42 min",
    ]


def test_a_prediction_whose_data_was_removed_says_so(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    gone = {**finished_ago(75), "output": None, "data_removed": True}
    sim.add_job("replicate", PREDICTION_ID, [Step("succeeded", fields=gone)])
    data = get_json(jobctl, "replicate", PREDICTION_ID)
    assert (data["outputs"], data["outputs_removed"]) == ([], True)
    assert jobctl("get", "replicate", PREDICTION_ID).lines[-1] == "expiry:   outputs removed by the provider"
    row = jobctl("ls", "--remote", "replicate").lines[1]
    assert row.endswith("  (outputs removed by the provider)")


def test_ls_marks_a_succeeded_prediction_whose_outputs_expire_within_the_hour_until_it_is_downloaded(
    sim: Simulator, other: Simulator, replicate_config: Path, jobctl: Any, tmp_path: Path
) -> None:
    other.add_file("out-0.webp", 2048, content_type="image/webp")
    url = other.file_url("out-0.webp")
    sim.add_job("replicate", PREDICTION_ID, [Step("succeeded", fields={**finished_ago(18), "output": [url]})])
    assert jobctl("get", "replicate", PREDICTION_ID).code == 0
    marked = jobctl("ls")  # not finished-only: its outputs still need saving
    assert marked.code == 0
    row = marked.lines[1]
    assert row.startswith(f"replicate  {PREDICTION_ID}  succeeded  {MODEL}")
    assert row.endswith(f"outputs expire in 42 min: {url}")
    ref = f"replicate:{PREDICTION_ID}"
    assert marked.err_lines == [
        f"outputs expiring within the hour, not downloaded: {ref}",
        f"save them: jobctl download {ref} -d DIR",
        "(jobctl watch --until-done --download DIR saves each job's files as it succeeds)",
    ]
    assert jobctl("download", ref, "-d", str(tmp_path / "out")).code == 0
    after = jobctl("ls")
    assert (after.lines, after.err) == (["no unfinished tracked jobs (jobctl ls --all shows every one)"], "")
    listed = jobctl("ls", "--all")
    assert listed.lines[1].endswith(f"  {url}") and listed.err == ""


def test_ls_does_not_mark_outputs_that_expire_later_than_the_hour_or_were_removed(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, [Step("succeeded", fields=finished_ago(-5))])  # 65 min left
    assert jobctl("get", "replicate", PREDICTION_ID).code == 0
    assert jobctl("ls").lines == ["no unfinished tracked jobs (jobctl ls --all shows every one)"]


def test_a_text_prediction_keeps_every_token_with_its_whitespace(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    tokens = ["Dusk", " falls", ".", "\n\n", "", "The", " light", " turns", "."]
    sim.add_job("replicate", PREDICTION_ID, [Step(status="succeeded", fields={"output": tokens})])
    data = get_json(jobctl, "replicate", PREDICTION_ID)
    assert (data["outputs"], data["results"]) == ([], {"output": tokens})


# --- reading answers ------------------------------------------------------------------------


def nested() -> Any:
    return declare(
        "render",
        {
            "base_url": "https://render.example",
            "path": "/jobs/{id}",
            "auth": {"header": "X-Api-Key"},
            "status": {"field": "data.state", "map": {"WAIT": "queued", "GO": "running", "OK": "succeeded"}},
            "fields": {
                "created_at": "data.times.created",
                "updated_at": "data.times.0",
                "kind": "data.kind",
                "outputs": "data.result.files",
                "error": "data.problem",
                "results": "data.result.named",
            },
        },
    )()


def test_dotted_paths_read_nested_fields_and_list_items() -> None:
    body = {
        "data": {
            "state": "ok",
            "kind": 7,
            "times": {"created": "2026-03-01T09:30:00+01:00"},
            "result": {
                "files": [{"url": "https://cdn.example/1.png"}, "https://cdn.example/2.png"],
                "named": {"n": 2},
            },
            "problem": {"code": 42, "message": "late"},
        }
    }
    assert job_to_dict(nested().normalize("j1", body)) == {
        "provider": "render",
        "id": "j1",
        "status": "succeeded",
        "provider_status": "ok",
        "done": True,
        "kind": "7",
        "created_at": "2026-03-01T08:30:00.000Z",
        "updated_at": None,
        "finished_at": None,
        "outputs": ["https://cdn.example/1.png", "https://cdn.example/2.png"],
        "results": {"n": 2},
        "error": {"code": "42", "message": "late"},
        "outputs_expire_at": None,
        "outputs_removed": False,
    }


def test_a_custom_header_carries_the_bare_key() -> None:
    provider = nested()
    assert provider.auth.headers({"api_key": "k-1234"}) == {"X-Api-Key": "k-1234"}
    assert provider.auth.describe({}) == "X-Api-Key: <api_key>"


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Canceled", "cancelled"),
        ("cancelled", "cancelled"),
        ("error", "failed"),
        ("errored", "failed"),
        ("FAILURE", "failed"),
        ("success", "succeeded"),
        ("complete", "succeeded"),
        ("Completed", "succeeded"),
        ("done", "succeeded"),
        ("finished", "succeeded"),
        ("expired", "failed"),
        ("timeout", "failed"),
        ("timed_out", "failed"),
        ("paused", "unknown"),
        ("aborting", "unknown"),
    ],
)
def test_a_word_the_map_leaves_out_follows_the_common_vocabulary_then_unknown(word: str, status: str) -> None:
    job = nested().normalize("j1", {"data": {"state": word}})
    assert (job.status.value, job.provider_status, job.done) == (status, word, status != "unknown")


def test_a_declared_answer_without_its_status_word_is_exit_5(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    sim.add_job("replicate", PREDICTION_ID, [Step(status="processing", fields={"status": None})])
    result = jobctl("get", "replicate", PREDICTION_ID)
    assert result.code == 5
    assert result.err_lines == [
        f"error: replicate:{PREDICTION_ID}: the answer has no 'status'; not the documented Replicate job"
    ]


# --- times as numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created_at", "completed_at", "shown"),
    [
        (1767225600, 1767225605, ("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:05.000Z")),
        (1767225600.25, "1767225605.5", ("2026-01-01T00:00:00.250Z", "2026-01-01T00:00:05.500Z")),
        (1767225600000, "1767225605123", ("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:05.123Z")),
        (" 1767225600 ", 1767225605123.0, ("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:05.123Z")),
        # The edge of the rule: below 10^11 seconds (to the year 5138), from there milliseconds.
        (99_999_999_999, 100_000_000_000, ("5138-11-16T09:46:39.000Z", "1973-03-03T09:46:40.000Z")),
        # 0 and blanks are how answers say "not yet": no time, and nothing to warn about.
        (0, "", (None, None)),
        ("2026-01-01T00:00:00Z", "0", ("2026-01-01T00:00:00.000Z", None)),
    ],
)
def test_epoch_seconds_and_milliseconds_are_read_as_times(
    created_at: Any,
    completed_at: Any,
    shown: tuple[str | None, str | None],
    sim: Simulator,
    replicate_config: Path,
    jobctl: Any,
) -> None:
    fields = {"created_at": created_at, "completed_at": completed_at}
    sim.add_job("replicate", PREDICTION_ID, [Step(status="succeeded", fields=fields)])
    result = jobctl("get", "replicate", PREDICTION_ID, "--json")
    assert (result.code, result.err) == (0, "")
    data = json.loads(result.out)
    assert (data["created_at"], data["finished_at"]) == shown


def test_a_time_field_that_cannot_be_read_is_said_once_for_the_whole_watch(
    sim: Simulator, replicate_config: Path, jobctl: Any
) -> None:
    unreadable = {"completed_at": "tomorrow at five", "created_at": True}
    sim.add_job(
        "replicate",
        PREDICTION_ID,
        [
            Step("starting", fields=unreadable, requests=2),
            Step("processing", fields=unreadable, requests=2),
            Step("succeeded", fields=unreadable),
        ],
    )
    result = jobctl("watch", f"replicate:{PREDICTION_ID}", "--until-done", "--json", *FAST)
    assert result.code == 0
    assert len(sim.requests_for("replicate")) >= 5
    assert [json.loads(line)["finished_at"] for line in result.lines] == [None, None, None]
    assert result.err_lines == [
        f"warning: replicate:{PREDICTION_ID}: created_at: the answer's 'created_at' is true, not a "
        "time jobctl can read (ISO 8601, or Unix seconds or milliseconds); shown as null",
        f"warning: replicate:{PREDICTION_ID}: finished_at: the answer's 'completed_at' is "
        '"tomorrow at five", not a time jobctl can read (ISO 8601, or Unix seconds or milliseconds); '
        "shown as null",
    ]


def test_under_the_live_table_that_warning_is_a_note_that_does_not_tear_the_redraw(
    sim: Simulator, replicate_config: Path, jobctl: Any, on_a_terminal: None
) -> None:
    sim.add_job("replicate", PREDICTION_ID, [Step("succeeded", fields={"completed_at": "soon"})])
    result = jobctl("watch", f"replicate:{PREDICTION_ID}", "--until-done", *FAST)
    assert (result.code, result.err) == (0, "")
    assert result.lines[2:4] == [
        "replicate  gm3qorzdh…vhg6dckhu  ✓ succeeded  -        https://replicate.deliver…",
        "1 succeeded   replicate 1/120 per min",
    ]
    assert " ".join(line.strip() for line in result.lines[4:]) == (  # the note wraps
        f"warning: replicate:{PREDICTION_ID}: finished_at: the answer's 'completed_at' is "
        '"soon", not a time jobctl can read (ISO 8601, or Unix seconds or milliseconds); shown as null'
    )


@given(st.integers(min_value=10**11, max_value=4_102_444_800_000))  # March 1973 to 2100
def test_an_instant_reads_alike_in_milliseconds_seconds_and_iso(ms: int) -> None:
    from datetime import datetime, timedelta, timezone

    fields = {"created_at": "a", "updated_at": "b", "finished_at": "c"}
    provider = declare(
        "render",
        {
            "base_url": "https://render.example",
            "path": "/jobs/{id}",
            "status": {"map": {"ok": "succeeded"}},
            "fields": fields,
        },
    )()
    instant = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    seconds = f"{ms // 1000}.{ms % 1000:03d}"
    job = provider.normalize("j1", {"status": "ok", "a": ms, "b": seconds, "c": instant.isoformat()})
    assert job.created_at == job.updated_at == job.finished_at == instant


# --- mistakes ---------------------------------------------------------------------------------

GOOD = """\
profiles:
  default:
    krea: {api_key: sim-krea-key, base_url: "BASE"}
providers:
  render:
    base_url: https://render.example
    path: /jobs/{id}
    id: uuid
    status:
      field: state
      map: {waiting: queued, done: succeeded}
    fields: {outputs: result.files}
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "id: uuid",
            "id: uid",
            8,
            "providers.render.id must be one of single-segment, uuid, positive-int, "
            "not 'uid' (did you mean 'uuid'?)",
        ),
        (
            "done: succeeded",
            "done: succeded",
            11,
            "providers.render.status.map.done must be one of queued, "
            "running, succeeded, failed, cancelled, not 'succeded' (did you mean 'succeeded'?)",
        ),
        (
            "path: /jobs/{id}",
            "path: /jobs/{job}",
            7,
            "providers.render.path must start with '/' and hold "
            "'{id}' once, with no other braces, '#' or spaces",
        ),
        (
            "https://render.example",
            "http://render.example",
            6,
            "providers.render.base_url uses http:// for a host that is not loopback; use https://",
        ),
        (
            "    base_url: https://render.example\n",
            "",
            5,
            "providers.render has no base_url; add one, e.g. base_url: https://api.example.com",
        ),
        (
            "fields: {outputs: result.files}",
            "fields: {output: result.files}",
            12,
            "providers.render.fields.output "
            "is not a field (did you mean 'outputs'?); "
            "use created_at, updated_at, finished_at, kind, outputs, error, results",
        ),
        (
            "fields: {outputs: result.files}",
            "fields: {outputs: result..files}",
            12,
            "providers.render.fields.outputs must be a dotted path into the answer like result.urls, "
            "not 'result..files'",
        ),
        (
            "    id: uuid\n",
            "    id: uuid\n    auth: {header: 'X Key'}\n",
            9,
            "providers.render.auth.header needs a header name like Authorization or X-API-Key, not 'X Key'",
        ),
        (
            "  render:",
            "  krea:",
            5,
            "providers.krea takes the name of a built-in provider; declare it under another name",
        ),
        (
            "      field: state\n",
            "      field: state\n      words: {}\n",
            11,
            "providers.render.status.words is not a status key; use field, map",
        ),
        (
            "map: {waiting: queued, done: succeeded}",
            "map: {on: running}",
            11,
            "providers.render.status.map has a word YAML reads as the boolean True; quote the word",
        ),
        (
            "    id: uuid\n",
            "    id: uuid\n    list: {path: v1/jobs}\n",
            9,
            "providers.render.list.path needs the list's path, like /v1/jobs: it must start with '/' "
            "and hold no braces, '?', '#', spaces or '.' or '..' segments",
        ),
        (
            "    id: uuid\n",
            "    id: uuid\n    list: {path: /jobs, cursor: c}\n",
            9,
            "providers.render.list.cursor is not a list key; use path, items, next, id",
        ),
        (
            "    id: uuid\n",
            '    id: uuid\n    cancel: {method: GET, path: "/jobs/{id}/cancel"}\n',
            9,
            "providers.render.cancel.method needs a method, one of POST, DELETE, PUT, PATCH, not 'GET'",
        ),
        (
            "    id: uuid\n",
            "    id: uuid\n    cancel: {method: POST}\n",
            9,
            'providers.render.cancel has no path; add one, e.g. path: "/v1/jobs/{id}/cancel"',
        ),
        (
            "    id: uuid\n",
            "    id: uuid\n    outputs_expire_after: soon\n",
            9,
            "providers.render.outputs_expire_after 'soon' is not a duration; "
            "use e.g. 90, 90s, 10m, 1h30m or 1d",
        ),
        (
            "    id: uuid\n",
            "    id: uuid\n    outputs_removed: data..removed\n",
            9,
            "providers.render.outputs_removed must be a dotted path into the answer like result.urls, "
            "not 'data..removed'",
        ),
        (
            "    id: uuid\n",
            "    id: uuid\n    auth: {header: Authorization, env: 1TOKEN}\n",
            9,
            "providers.render.auth.env must name an environment variable like REPLICATE_API_TOKEN, "
            "not '1TOKEN'",
        ),
        (
            "    id: uuid\n",
            "    id: uuid\n    headers: {}\n",
            9,
            "providers.render.headers is not a declaration key; use title, docs_url, base_url, "
            "path, auth, id, status, fields, list, cancel, outputs_expire_after, outputs_removed",
        ),
    ],
)
def test_config_check_names_the_line_of_a_mistake_in_a_declaration(
    old: str, new: str, line: int, message: str, sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    assert old in GOOD
    path = tmp_path / "c.yaml"
    path.write_text(GOOD.replace("BASE", sim.base_url("krea")).replace(old, new))
    path.chmod(0o600)
    result = jobctl("config", "check", "--config", str(path))
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == [f"error: {path}:{line}: {message}"]


DOT_SEGMENTS = (
    "providers.render.path must not hold a '.' or '..' segment, plain or percent-encoded "
    "(%2e%2e): it would send the request to another path than the one jobctl shows"
)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/../admin/{id}",
        "/v1/./jobs/{id}",
        "/jobs/{id}/..",
        "/v1/%2e%2e/admin/{id}",
        "/v1/%2E./admin/{id}",
        "/v1/.%2e/admin/{id}",
        "/v1/%2e/jobs/{id}",
    ],
)
def test_a_path_with_dot_segments_is_refused_by_config_check_and_at_use(
    path: str, sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(GOOD.replace("BASE", sim.base_url("krea")).replace("/jobs/{id}", path))
    config.chmod(0o600)
    check = jobctl("config", "check", "--config", str(config))
    assert (check.code, check.out, check.err_lines) == (2, "", [f"error: {config}:7: {DOT_SEGMENTS}"])
    used = jobctl("get", "render:3c90c3cc-0d44-4b50-8888-8dd25736052a", "--config", str(config))
    assert used.code == 2
    assert used.err_lines[-1] == f"error: {config}:7: {DOT_SEGMENTS}"
    assert sim.requests_for() == []


@pytest.mark.parametrize(
    "path", ["/v1/jobs.json/{id}", "/v1/..x/{id}", "/v1/.well-known/jobs/{id}", "/jobs/{id}?to=/../x"]
)
def test_a_path_with_dots_inside_its_segments_is_fine(path: str) -> None:
    provider = declare(
        "render", {"base_url": "https://render.example", "path": path, "status": {"map": {"ok": "succeeded"}}}
    )()
    assert provider.job_path("j1") == path.replace("{id}", "j1")


@pytest.mark.parametrize(
    "header",
    [
        "Host",
        "host",
        "Content-Length",
        "TRANSFER-ENCODING",
        "Connection",
        "Keep-Alive",
        "Proxy-Connection",
        "TE",
        "Trailer",
        "Upgrade",
        "Proxy-Authorization",
    ],
)
def test_an_auth_header_that_http_itself_controls_is_refused(
    header: str, sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        GOOD.replace("BASE", sim.base_url("krea")).replace(
            "    id: uuid\n", f"    id: uuid\n    auth: {{header: {header}}}\n"
        )
    )
    config.chmod(0o600)
    check = jobctl("config", "check", "--config", str(config))
    assert (check.code, check.out) == (2, "")
    assert check.err_lines == [
        f"error: {config}:9: providers.render.auth.header cannot be '{header}', a header HTTP itself "
        "controls (the host, the message's framing or the connection); name the header the API "
        "reads the key from, like Authorization or X-API-Key"
    ]


def test_the_good_declaration_passes_config_check(sim: Simulator, tmp_path: Path, jobctl: Any) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(GOOD.replace("BASE", sim.base_url("krea")))
    path.chmod(0o600)
    result = jobctl("config", "check", "--config", str(path))
    assert (result.code, result.err, result.lines) == (
        0,
        "",
        [f"ok: {path}, profile 'default': krea configured"],
    )


def broken_config(sim: Simulator, tmp_path: Path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(GOOD.replace("BASE", sim.base_url("krea")).replace("id: uuid", "id: uid"))
    path.chmod(0o600)
    return path


def test_a_broken_declaration_costs_one_warning_and_never_stops_the_built_ins(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = broken_config(sim, tmp_path)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--json", "--config", str(path))
    assert result.code == 0
    assert json.loads(result.out)["status"] == "running"
    assert result.err_lines == [
        f"warning: {path}:8: providers.render.id must be one of single-segment, uuid, positive-int, "
        "not 'uid' (did you mean 'uuid'?); ignored until fixed"
    ]


def test_a_ref_to_a_broken_declaration_is_exit_2_and_the_other_refs_still_answer(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = broken_config(sim, tmp_path)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "render:x", f"krea:{KREA_ID}", "--json", "--config", str(path))
    assert result.code == 2
    assert [j["id"] for j in json.loads(result.out)] == [KREA_ID]
    assert result.err_lines[-1] == (
        f"error: {path}:8: providers.render.id must be one of single-segment, uuid, positive-int, "
        "not 'uid' (did you mean 'uuid'?)"
    )


def test_a_declaration_named_like_a_built_in_leaves_the_built_in_alone(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(GOOD.replace("BASE", sim.base_url("krea")).replace("  render:", "  krea:"))
    path.chmod(0o600)
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, "--config", str(path))
    assert result.code == 0
    assert [r.path for r in sim.requests_for("krea")] == [f"/krea/jobs/{KREA_ID}"]
    assert result.err_lines == [
        f"warning: {path}:5: providers.krea takes the name of a built-in provider; "
        "declare it under another name; ignored until fixed"
    ]


def test_a_providers_section_that_is_not_a_mapping_is_reported_and_the_rest_works(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = write_config(
        tmp_path / "c.yaml", {"profiles": {"default": sim.profile(["krea"])}, "providers": ["x"]}
    )
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl("get", "krea", KREA_ID, "--config", str(path)).code == 0
    check = jobctl("config", "check", "--config", str(path))
    assert check.code == 2
    assert check.err_lines == [
        f"error: {path}:6: providers must be a mapping of provider names to declarations, "
        "not a list (see config.example.yaml)"
    ]


def test_a_declared_provider_works_through_download_without_sending_its_key_elsewhere(
    sim: Simulator, other: Simulator, replicate_config: Path, jobctl: Any, tmp_path: Path
) -> None:
    other.add_file("out-0.webp", 4096, content_type="image/webp")
    url = other.file_url("out-0.webp")
    sim.add_job("replicate", PREDICTION_ID, [Step(status="succeeded", fields={"output": [url]})])
    out = tmp_path / "out"
    result = jobctl("download", f"replicate:{PREDICTION_ID}", "-d", str(out))
    assert result.code == 0, result.err
    assert (out / f"replicate-{PREDICTION_ID}.webp").stat().st_size == 4096
    (fetched,) = other.requests_for("files")
    assert "authorization" not in fetched.headers  # a CDN is not the provider's origin


UNUSABLE_NAMES = """\
profiles:
  default:
    krea: {api_key: sim-krea-key, base_url: "BASE"}
    rendr: {}
providers:
  Render:
    base_url: https://render.example
    path: /jobs/{id}
    status: {map: {done: succeeded}}
  My Render:
    base_url: https://render.example
    path: /jobs/{id}
    status: {map: {done: succeeded}}
"""


def test_a_declared_name_refs_cannot_use_is_never_suggested(
    sim: Simulator, tmp_path: Path, jobctl: Any
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(UNUSABLE_NAMES.replace("BASE", sim.base_url("krea")))
    path.chmod(0o600)
    result = jobctl("get", "render:x", "--config", str(path))
    assert result.code == 2
    assert result.err_lines[0] == f"warning: {path}: unknown provider 'rendr' in profiles.default ignored"
    assert result.err_lines[-1] == (
        "error: unknown provider 'render'; supported: krea, creatify, unstructured, gepetto, aisquare"
    )
    assert sim.requests_for() == []


def test_a_declared_name_refs_cannot_use_is_never_offered_by_completion(
    sim: Simulator, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    path = tmp_path / "c.yaml"
    path.write_text(UNUSABLE_NAMES.replace("BASE", sim.base_url("krea")))
    env = {
        **os.environ,
        "JOBCTL_CONFIG": str(path),
        "_JOBCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": "jobctl get ",
        "COMP_CWORD": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "jobctl"], env=env, capture_output=True, text=True, timeout=30
    )
    names = ["krea", "creatify", "unstructured", "gepetto", "aisquare"]
    assert (proc.returncode, proc.stdout.splitlines(), proc.stderr) == (
        0,
        [v for n in names for v in (n, f"{n}:")],
        "",
    )


def test_a_declared_provider_name_completes(replicate_config: Path) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "_JOBCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": "jobctl get rep",
        "COMP_CWORD": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "jobctl"], env=env, capture_output=True, text=True, timeout=30
    )
    assert (proc.returncode, proc.stdout.split(), proc.stderr) == (0, ["replicate", "replicate:"], "")
