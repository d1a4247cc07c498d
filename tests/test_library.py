"""The Python API (PRODUCT.md "Python API"): jobctl.get/get_many/watch/wait and Client,
against the simulator, plus the README's examples run as written."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import AISQUARE_ID, CREATIFY_ID, GEPETTO_ID, KREA_ID, write_config

import jobctl
from jobctl.sim import Simulator, Step

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def client(sim: Simulator, clock: Any) -> Any:
    """A client of the simulator, waiting on the test's clock (see conftest.clock)."""
    with jobctl.Client(providers=sim.profile(), env={"JOBCTL_BACKOFF": "0.01"}, clock=clock) as c:
        yield c


# --- get --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get(f"krea:{KREA_ID}"),
        lambda c: c.get("krea", KREA_ID),
        lambda c: c.get(("krea", KREA_ID)),
        lambda c: c.get(jobctl.Ref("krea", KREA_ID)),
        lambda c: c.get(f"  krea:{KREA_ID}\n"),
    ],
    ids=["provider:id", "provider, id", "tuple", "Ref", "padded"],
)
def test_get_takes_a_ref_in_every_documented_form(sim: Simulator, client: Any, call: Any) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    job = call(client)
    assert isinstance(job, jobctl.Job)
    assert (job.provider, job.id, job.status, job.done) == ("krea", KREA_ID, "succeeded", True)
    assert job.outputs == (f"https://gen.krea.ai/images/{KREA_ID}.png",)
    assert str(job.status) == "succeeded"


def test_a_job_is_frozen_and_its_dict_is_exactly_the_cli_json(
    sim: Simulator, client: Any, config_file: Path, jobctl_cli: Any
) -> None:
    sim.add_job("aisquare", AISQUARE_ID, [Step("COMPLETED", fields={"created_at": "2026-11-20T10:00:00Z"})])
    job = client.get("aisquare", AISQUARE_ID)
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.status = "failed"  # type: ignore[misc]
    cli = jobctl_cli("get", "aisquare", AISQUARE_ID, "--json", "--raw", "--no-track")
    assert json.loads(cli.out) == job.to_dict(raw=True)
    assert job.results == {"blog_id": 10420}
    assert "raw" not in job.to_dict()


@pytest.mark.parametrize(
    ("ref", "error", "code"),
    [
        ("krea:missing", jobctl.NotFoundError, 4),
        ("aisquare:0", jobctl.UsageError, 2),
        ("kreaa:abc", jobctl.UsageError, 2),
        ("no-provider", jobctl.UsageError, 2),
    ],
)
def test_get_raises_the_error_that_carries_the_exit_code(
    sim: Simulator, client: Any, ref: str, error: type[Exception], code: int
) -> None:
    with pytest.raises(error) as info:
        client.get(ref)
    assert isinstance(info.value, jobctl.JobctlError)
    assert info.value.exit_code == code
    if code == 2:
        assert sim.requests == []  # nothing was sent


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get("aisquare", 1042),
        lambda c: c.get(("aisquare", 1042)),
        lambda c: c.get(jobctl.Ref("aisquare", 1042)),  # type: ignore[arg-type]
        lambda c: c.get_many([("aisquare", 1042)])[0],
    ],
    ids=["provider, int", "tuple", "Ref", "get_many"],
)
def test_an_int_id_is_accepted(sim: Simulator, client: Any, call: Any) -> None:
    sim.add_job("aisquare", AISQUARE_ID, ["COMPLETED"])
    job = call(client)
    assert (job.provider, job.id, job.status) == ("aisquare", "1042", "succeeded")


def test_an_int_id_reaches_a_provider_whose_ids_are_strings(sim: Simulator, client: Any) -> None:
    sim.add_job("krea", "1042", ["completed"])
    assert client.get("krea", 1042).id == "1042"


BAD_IDS = [
    (("aisquare", -3), 'aisquare: invalid job id "-3": expected a positive integer like 42'),
    (("aisquare", 0), 'aisquare: invalid job id "0": expected a positive integer like 42'),
    (("krea", 1.5), "job_id must be a string or an int, not 1.5"),
    (("krea", True), "job_id must be a string or an int, not True"),
    (("krea", b"abc"), "job_id must be a string or an int, not b'abc'"),
    ((("krea", None),), "job_id must be a string or an int, not None"),
    ((None,), "ref must be 'provider:id', ('provider', 'id') or a Ref, not None"),
    ((b"krea:abc",), "ref must be 'provider:id', ('provider', 'id') or a Ref, not b'krea:abc'"),
    ((1042,), "ref must be 'provider:id', ('provider', 'id') or a Ref, not 1042"),
    ((None, "abc"), "ref must be a provider's name when job_id is given, not None"),
]


@pytest.mark.parametrize(("args", "message"), BAD_IDS, ids=[m for _, m in BAD_IDS])
def test_a_bad_id_or_a_wrong_type_is_a_usage_error_naming_it(
    sim: Simulator, client: Any, args: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(jobctl.UsageError) as info:
        client.get(*args)
    assert (str(info.value), info.value.exit_code) == (message, 2)
    assert sim.requests == []


def test_refused_credentials_raise_auth_error(sim: Simulator) -> None:
    profile = sim.profile(["krea"])
    profile["krea"]["api_key"] = "wrong-key"
    with jobctl.Client(providers=profile, env={}) as bad, pytest.raises(jobctl.AuthError) as info:
        bad.get("krea", KREA_ID)
    assert info.value.exit_code == 3
    assert "wrong-key" not in str(info.value)


def test_a_provider_failure_raises_provider_error(sim: Simulator, client: Any) -> None:
    sim.add_job("gepetto", GEPETTO_ID, [Step(body="<html>oops</html>")])
    with pytest.raises(jobctl.ProviderError) as info:
        client.get("gepetto", GEPETTO_ID)
    assert info.value.exit_code == 5
    assert info.value.ref == ("gepetto", GEPETTO_ID)


def test_a_missing_credential_is_a_config_error_naming_the_fix(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {}}})
    with jobctl.Client(config=path, env={}) as c, pytest.raises(jobctl.ConfigError) as info:
        c.get("krea", KREA_ID)
    assert info.value.exit_code == 2
    assert "KREA_API_KEY" in str(info.value)


def test_an_unknown_profile_fails_when_the_client_is_made(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.yaml", {"profiles": {"work": {}}})
    with pytest.raises(jobctl.ConfigError, match=r"profile 'wrok'.*did you mean 'work'"):
        jobctl.Client(profile="wrok", config=path, env={})


# --- the library's own words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("providers", "message"),
    [
        ({"krea": {"api_kye": "k"}}, "providers['krea']: unknown key 'api_kye' (did you mean 'api_key'?)"),
        ({"kreaa": {"api_key": "k"}}, "providers: unknown provider 'kreaa' (did you mean 'krea'?)"),
    ],
)
def test_an_unknown_key_or_provider_in_providers_is_a_config_error_naming_it(
    providers: dict[str, Any], message: str
) -> None:
    with pytest.raises(jobctl.ConfigError) as info:
        jobctl.Client(providers=providers, env={})
    assert (str(info.value), info.value.exit_code) == (message, 2)


def test_an_unknown_key_in_the_config_file_stays_a_warning(
    sim: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    entry = {**sim.profile(["krea"])["krea"], "api_kye": "k"}
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": entry}}})
    with jobctl.Client(config=path, env={}):
        pass
    assert [r.getMessage() for r in caplog.records if r.name == "jobctl"] == [
        f"{path}: unknown key 'api_kye' in profiles.default.krea ignored (did you mean 'api_key'?)"
    ]


def test_library_messages_name_its_parameters_never_the_clis_flags(
    sim: Simulator, client: Any, tmp_path: Path
) -> None:
    sim.add_file("big.png", 3 * 1024 * 1024, content_type="image/png")
    sim.add_file("gone.png", 1000, fault="status", status=403, faults=None)
    sim.add_file("open.png", 3 * 1024 * 1024, content_type="image/png", fault="no-length", faults=None)
    for job_id, name in (("big", "big.png"), ("gone", "gone.png"), ("open", "open.png")):
        sim.add_job("krea", job_id, [Step("completed", fields={"result": {"urls": [sim.file_url(name)]}})])
    sim.add_job("krea", "busy", ["processing"])
    sim.add_job("krea", "link", [Step("completed", fields={"result": {"urls": [sim.file_url("gone.png")]}})])
    (tmp_path / "krea-link.png").symlink_to(tmp_path / "elsewhere")
    result = client.download(
        ["krea:big", "krea:gone", "krea:open", "krea:busy", "krea:link"], dir=tmp_path, max_size="1MiB"
    )
    said = sorted(str(e) for e in result.failures)
    assert said == sorted(
        [
            f"krea:big: {sim.file_url('big.png')}: the file is 3.0 MiB, more than max_size 1.0 MiB; "
            "nothing written",
            f"krea:gone: {sim.file_url('gone.png')}: HTTP 403 Forbidden "
            "(the link may have expired; get the job again for a fresh one)",
            f"krea:open: {sim.file_url('open.png')}: more than max_size 1.0 MiB received; stopped",
            "krea:busy: the job is running (processing), not finished; nothing downloaded "
            "(watch('krea:busy', download_to=DIR) waits for it)",
            f"krea:link: {tmp_path / 'krea-link.png'} is a symlink; jobctl does not follow links: remove it "
            "(or pass overwrite=True to replace the link)",
        ]
    )
    blocker = tmp_path / "taken"
    blocker.write_text("")
    with pytest.raises(
        jobctl.UsageError, match=rf"^dir {blocker} exists and is not a directory; choose another dir$"
    ):
        client.download("krea:big", dir=blocker)
    with pytest.raises(
        jobctl.UsageError,
        match=rf"^download_to {blocker} exists and is not a directory; choose another download_to$",
    ):
        client.watch("krea:big", download_to=blocker)
    with pytest.raises(jobctl.UsageError, match=r"^no job id given for krea; write: get\('krea', 'ID'\)$"):
        client.get("krea")
    with pytest.raises(
        jobctl.UsageError,
        match=r"^'abc' is not a job ref; write PROVIDER:ID \(e.g. krea:abc\) or \('PROVIDER', 'ID'\)$",
    ):
        client.get("abc")


def test_wait_says_it_timed_out_without_naming_the_cli(sim: Simulator, client: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    with pytest.raises(jobctl.WaitTimeout) as info:
        client.wait(f"krea:{KREA_ID}", timeout=0.2, interval=0.05)
    assert str(info.value) == f"timed out after 0.2s; not done: krea:{KREA_ID}"


def test_config_messages_name_the_clients_arguments(tmp_path: Path) -> None:
    with pytest.raises(jobctl.ConfigError) as is_a_dir:
        jobctl.Client(config=tmp_path, env={})
    assert (
        str(is_a_dir.value) == f"{tmp_path} is a directory, not a config file; point config= at a .yaml file"
    )
    with pytest.raises(jobctl.ConfigError) as missing:
        jobctl.Client(config=tmp_path / "none.yaml", env={})
    assert str(missing.value) == (
        f"config file {tmp_path / 'none.yaml'} does not exist; create it (see config.example.yaml) "
        "or fix config= / JOBCTL_CONFIG"
    )
    path = write_config(tmp_path / "c.yaml", {"profiles": {"work": {}}})
    with pytest.raises(jobctl.ConfigError) as unknown:
        jobctl.Client(profile="wrok", config=path, env={})
    assert str(unknown.value).startswith(f"profile 'wrok' (from profile=) is not defined in {path}")
    with (
        jobctl.Client(config=path, env={"JOBCTL_PROFILE": ""}) as c,
        pytest.raises(jobctl.ConfigError) as creds,
    ):
        c.get("krea", KREA_ID)
    assert "(profiles in the file: work; choose one with profile=)" in str(creds.value)


def test_a_journals_warning_says_how_the_library_silences_it(tmp_path: Path) -> None:
    from jobctl.journal import Journal

    (tmp_path / "journal.sqlite3").mkdir()  # a directory where the database should be
    heard: list[str] = []
    Journal(tmp_path / "journal.sqlite3", warn=heard.append).record([])
    Journal(tmp_path / "journal.sqlite3", warn=heard.append).entries()
    assert heard and all(h.endswith("(journal=None silences this)") for h in heard)


# --- get_many ---------------------------------------------------------------------------------


def test_get_many_returns_a_job_or_an_error_for_every_ref_in_order(sim: Simulator, client: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    refs = [f"gepetto:{GEPETTO_ID}", "aisquare:0", f"krea:{KREA_ID}", "krea:missing", f"gepetto:{GEPETTO_ID}"]
    outcomes = client.get_many(refs)
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Job", "UsageError", "Job", "NotFoundError", "Job"]
    assert [o.status for o in outcomes if isinstance(o, jobctl.Job)] == ["succeeded", "running", "succeeded"]
    assert len(sim.requests_for("gepetto")) == 1  # a ref given twice is fetched once


# --- watch and wait ---------------------------------------------------------------------------


def test_watch_yields_each_change_and_ends_when_every_job_is_done(sim: Simulator, client: Any) -> None:
    sim.add_job("krea", KREA_ID, [Step("queued", requests=2), Step("processing", requests=2), "completed"])
    sim.add_job("gepetto", GEPETTO_ID, ["pending", "failed"])
    seen = [
        (e.job.provider, str(e.job.status))
        for e in client.watch([f"krea:{KREA_ID}", ("gepetto", GEPETTO_ID)], interval=0.02)
        if isinstance(e, jobctl.JobChanged) and e.json_changed
    ]
    assert [s for p, s in seen if p == "krea"] == ["queued", "running", "succeeded"]
    assert [s for p, s in seen if p == "gepetto"] == ["queued", "failed"]


def test_watch_yields_the_error_of_a_ref_that_failed_for_good(sim: Simulator, client: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing", "completed"])
    events = list(client.watch([f"krea:{KREA_ID}", "krea:gone"], interval=0.02))
    failed = [e for e in events if isinstance(e, jobctl.PollFailed)]
    assert [(type(e.error).__name__, e.final) for e in failed] == [("NotFoundError", True)]
    jobs = [e.job for e in events if isinstance(e, jobctl.JobChanged)]
    assert [str(j.status) for j in jobs] == ["running", "succeeded"]
    [end] = [e for e in events if isinstance(e, jobctl.WatchEnded)]
    assert events[-1] is end
    assert (end.summary.exit_code, end.summary.failures) == (4, (failed[0].error,))


def test_wait_returns_every_job_in_its_final_state_in_the_order_given(sim: Simulator, client: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing", "processing", "completed"])
    sim.add_job("creatify", CREATIFY_ID, ["pending", "rejected"])
    jobs = client.wait([f"creatify:{CREATIFY_ID}", f"krea:{KREA_ID}"], interval=0.02, max_interval=0.05)
    assert [(j.provider, j.status) for j in jobs] == [("creatify", "failed"), ("krea", "succeeded")]
    assert jobs[0].error is not None and jobs[0].error.message == "Input image is too small (min 512x512)"


def test_watch_accepts_a_single_ref_as_wait_and_download_do(sim: Simulator, client: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing", "completed"])
    events = list(client.watch(f"krea:{KREA_ID}", interval=0.02))
    changed = [(e.ref, str(e.job.status)) for e in events if isinstance(e, jobctl.JobChanged)]
    assert changed == [(jobctl.Ref("krea", KREA_ID), "running"), (jobctl.Ref("krea", KREA_ID), "succeeded")]
    assert events[-1].summary.exit_code == 0


def test_wait_accepts_a_single_ref(sim: Simulator, client: Any) -> None:
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    assert [j.id for j in client.wait(f"gepetto:{GEPETTO_ID}", interval=0.02)] == [GEPETTO_ID]


def test_wait_raises_wait_timeout_when_time_runs_out(sim: Simulator, client: Any) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    with pytest.raises(jobctl.WaitTimeout) as info:
        client.wait([f"krea:{KREA_ID}"], timeout=0.2, interval=0.02)
    assert info.value.exit_code == 124
    assert f"krea:{KREA_ID}" in str(info.value)


def test_wait_raises_the_error_of_a_job_that_can_never_finish(sim: Simulator, client: Any) -> None:
    with pytest.raises(jobctl.NotFoundError):
        client.wait(["krea:gone"], interval=0.02)


BAD_TIMINGS = [
    (
        {"interval": 0},
        "interval 0 must be a positive number of seconds, at most 86400 (a day), e.g. 2 or 0.5",
    ),
    (
        {"interval": -1},
        "interval -1 must be a positive number of seconds, at most 86400 (a day), e.g. 2 or 0.5",
    ),
    (
        {"interval": float("nan")},
        "interval nan must be a positive number of seconds, at most 86400 (a day), e.g. 2 or 0.5",
    ),
    (
        {"max_interval": float("inf")},
        "max_interval inf must be a positive number of seconds, at most 86400 (a day), e.g. 2 or 0.5",
    ),
    (
        {"interval": 30},
        "interval 30 is longer than max_interval 10; shorten it or lengthen max_interval too",
    ),
    ({"timeout": -1}, "timeout -1 must be a number of seconds, 0 or more (None: no limit)"),
    ({"timeout": float("inf")}, "timeout inf must be a number of seconds, 0 or more (None: no limit)"),
    ({"interval": "2"}, "interval must be a number of seconds, not a str"),
]


@pytest.mark.parametrize(("timing", "message"), BAD_TIMINGS, ids=[m for _, m in BAD_TIMINGS])
@pytest.mark.parametrize("method", ["watch", "wait"])
def test_watch_and_wait_refuse_timings_that_cannot_work_before_anything_is_sent(
    sim: Simulator, client: Any, method: str, timing: dict[str, Any], message: str
) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    with pytest.raises(jobctl.UsageError) as info:
        list(getattr(client, method)(f"krea:{KREA_ID}", **timing))
    assert (str(info.value), info.value.exit_code) == (message, 2)
    assert sim.requests == []


def test_download_writes_each_jobs_files_and_returns_their_paths(
    sim: Simulator, client: Any, tmp_path: Path
) -> None:
    sim.add_file("a.png", 1000, content_type="image/png")
    sim.add_job("krea", KREA_ID, [Step("completed", fields={"result": {"urls": [sim.file_url("a.png")]}})])
    result = client.download(f"krea:{KREA_ID}", dir=tmp_path / "out")
    assert result.files == result.written == [tmp_path / "out" / f"krea-{KREA_ID}.png"]
    assert (result.failures, result.skipped, result.exit_code) == ([], [], 0)
    assert result.files[0].stat().st_size == 1000


def test_download_of_a_job_that_has_not_succeeded_lists_job_failed(
    sim: Simulator, client: Any, tmp_path: Path
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    result = client.download([f"krea:{KREA_ID}"], dir=tmp_path)
    assert [type(e) for e in result.failures] == [jobctl.JobFailed]
    assert (result.files, result.exit_code) == ([], 1)
    with pytest.raises(jobctl.JobFailed):
        result.raise_for_failures()
    assert list(tmp_path.iterdir()) == []


def test_download_lists_what_was_written_skipped_and_failed_with_the_clis_exit_code(
    sim: Simulator, client: Any, tmp_path: Path, config_file: Path, jobctl_cli: Any
) -> None:
    for name in ("good.png", "there.png", "broken.png"):
        sim.add_file(name, 1000, content_type="image/png")
    sim.add_file("broken.png", 1000, fault="status", status=500, faults=None)
    for job_id, name in (("good", "good.png"), ("there", "there.png"), ("bad-file", "broken.png")):
        sim.add_job("krea", job_id, [Step("completed", fields={"result": {"urls": [sim.file_url(name)]}})])
    sim.add_job("krea", "failed-job", ["failed"])
    refs = ["krea:good", "krea:there", "krea:failed-job", "krea:bad-file"]
    library, cli = tmp_path / "library", tmp_path / "cli"
    for folder in (library, cli):
        folder.mkdir()
        (folder / "krea-there.png").write_bytes(b"already here")
    result = client.download(refs, dir=library)
    assert result.written == [library / "krea-good.png"]
    assert result.skipped == [library / "krea-there.png"]
    assert result.files == [library / "krea-good.png", library / "krea-there.png"]
    assert [(type(e).__name__, e.ref, e.exit_code) for e in result.failures] == [
        ("JobFailed", ("krea", "failed-job"), 1),
        ("DownloadError", ("krea", "bad-file"), 5),
    ]
    assert result.exit_code == 5
    with pytest.raises(jobctl.ProviderError):
        result.raise_for_failures()
    command = jobctl_cli("download", *refs, "-d", str(cli), "--no-track")
    assert command.code == result.exit_code
    assert sorted(p.name for p in cli.iterdir()) == sorted(p.name for p in library.iterdir())


@pytest.mark.parametrize("cap", ["2MiB", "2MB", 2 * 1024 * 1024, " 1.5 MiB "])
def test_download_takes_max_size_as_the_cli_does(
    sim: Simulator, client: Any, tmp_path: Path, cap: Any
) -> None:
    sim.add_file("a.png", 1024 * 1024, content_type="image/png")
    sim.add_job("krea", KREA_ID, [Step("completed", fields={"result": {"urls": [sim.file_url("a.png")]}})])
    result = client.download(f"krea:{KREA_ID}", dir=tmp_path, max_size=cap)
    assert (result.exit_code, result.written) == (0, [tmp_path / f"krea-{KREA_ID}.png"])


def test_a_file_over_a_max_size_given_as_text_is_refused(sim: Simulator, client: Any, tmp_path: Path) -> None:
    sim.add_file("a.png", 3 * 1024 * 1024, content_type="image/png")
    sim.add_job("krea", KREA_ID, [Step("completed", fields={"result": {"urls": [sim.file_url("a.png")]}})])
    result = client.download(f"krea:{KREA_ID}", dir=tmp_path, max_size="1MB")
    assert [(type(e).__name__, e.exit_code) for e in result.failures] == [("DownloadError", 5)]
    assert "the file is 3.0 MiB, more than" in str(result.failures[0])
    assert list(tmp_path.iterdir()) == []


BAD_SIZES = [
    ("lots", "max_size 'lots' is not a size; use e.g. 500MB, 2GiB or 1048576"),
    ("0MB", "max_size '0MB' must be more than 0 bytes"),
    (0, "max_size 0 must be more than 0 bytes"),
    (-5, "max_size -5 must be more than 0 bytes"),
    (1.5, "max_size must be a size such as '500MB' or '2GiB', or a number of bytes, not 1.5"),
    (True, "max_size must be a size such as '500MB' or '2GiB', or a number of bytes, not True"),
    (None, "max_size must be a size such as '500MB' or '2GiB', or a number of bytes, not None"),
]


@pytest.mark.parametrize(("cap", "message"), BAD_SIZES, ids=[m for _, m in BAD_SIZES])
@pytest.mark.parametrize("method", ["download", "watch"])
def test_a_bad_max_size_is_a_usage_error_before_anything_is_sent(
    sim: Simulator, client: Any, tmp_path: Path, method: str, cap: Any, message: str
) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    with pytest.raises(jobctl.UsageError) as info:
        if method == "download":
            client.download(f"krea:{KREA_ID}", dir=tmp_path, max_size=cap)
        else:
            client.watch(f"krea:{KREA_ID}", download_to=tmp_path, max_size=cap)
    assert (str(info.value), info.value.exit_code) == (message, 2)
    assert sim.requests == []


# --- no process-wide state --------------------------------------------------------------------


def test_two_clients_with_different_keys_in_threads_never_mix_them(sim: Simulator, other: Simulator) -> None:
    other.reset(keys={**other.keys, "krea": {"api_key": "other-krea-key"}})
    for server in (sim, other):
        server.add_job("krea", KREA_ID, [Step("processing")])
    one = jobctl.Client(providers={"krea": {**sim.keys["krea"], "base_url": sim.base_url("krea")}}, env={})
    two = jobctl.Client(
        providers={"krea": {"api_key": "other-krea-key", "base_url": other.base_url("krea")}}, env={}
    )
    failures: list[BaseException] = []

    def hammer(client: Any) -> None:
        try:
            for _ in range(15):
                assert client.get("krea", KREA_ID).status == "running"
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=hammer, args=(c,)) for c in (one, two) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    one.close()
    two.close()
    assert failures == []
    assert {r.headers["authorization"] for r in sim.requests_for("krea")} == {"Bearer sim-krea-key"}
    assert {r.headers["authorization"] for r in other.requests_for("krea")} == {"Bearer other-krea-key"}
    assert len(sim.requests_for("krea")) == len(other.requests_for("krea")) == 60


def test_a_clients_secret_is_redacted_by_that_client_only(sim: Simulator) -> None:
    one = jobctl.Client(providers={"krea": {"api_key": "first-secret-key"}}, env={})
    two = jobctl.Client(providers={"krea": {"api_key": "second-secret-key"}}, env={})
    assert one.redactor("first-secret-key second-secret-key") == "*** second-secret-key"
    assert two.redactor("first-secret-key second-secret-key") == "first-secret-key ***"


def test_the_library_logs_and_never_prints(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    path = write_config(
        tmp_path / "c.yaml",
        {"profiles": {"default": {"krea": {**sim.profile(["krea"])["krea"], "colour": "red"}}}},
    )
    caplog.set_level(logging.DEBUG, logger="jobctl")
    with jobctl.Client(config=path, env={}) as c:
        c.get("krea", KREA_ID)
    assert capsys.readouterr() == ("", "")
    messages = [r.getMessage() for r in caplog.records if r.name == "jobctl"]
    assert any("unknown key 'colour'" in m for m in messages)
    assert any(m.startswith(f"GET {sim.base_url('krea')}/jobs/{KREA_ID} [") for m in messages)
    assert not any("sim-krea-key" in m for m in messages)


def test_the_librarys_warnings_never_reach_stderr_unless_logging_is_set_up(
    sim: Simulator, tmp_path: Path
) -> None:
    entry = {**sim.profile(["krea"])["krea"], "colour": "red"}  # an unknown key: a warning
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": {"krea": entry}}})
    probe = f"import jobctl; jobctl.Client(config={str(path)!r}, env={{}}).close()"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_import_jobctl_imports_neither_requests_nor_rich() -> None:
    probe = (
        "import sys, jobctl; jobctl.Job; jobctl.Status; jobctl.JobctlError\n"
        "print(sorted({'requests', 'rich', 'urllib3'} & set(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert (proc.returncode, proc.stdout) == (0, "[]\n"), proc.stderr


def test_the_package_ships_its_type_information() -> None:
    assert (ROOT / "jobctl" / "py.typed").is_file()
    assert 'jobctl = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


def test_every_public_name_is_exported_and_no_module_shadows_one() -> None:
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(jobctl.__path__, "jobctl."):
        if not info.name.endswith("__main__"):  # a submodule named like a function replaces it
            importlib.import_module(info.name)
    for name in jobctl.__all__:
        assert not isinstance(getattr(jobctl, name), type(jobctl)), name
    with pytest.raises(AttributeError):
        jobctl.no_such_name  # noqa: B018


# --- the README's examples, run as written -----------------------------------------------------


def readme_python_examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(readme_python_examples()) == 5


@pytest.mark.parametrize("n", range(5))
def test_the_readme_python_example_runs_against_the_simulator(
    n: int,
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock: Any,
) -> None:
    from jobctl import client as client_module

    sim.add_job("krea", KREA_ID, ["processing", "completed"])
    sim.add_job("creatify", CREATIFY_ID, ["pending", "done"])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    sim.add_job("aisquare", AISQUARE_ID, ["COMPLETED"])
    path = write_config(tmp_path / "c.yaml", {"profiles": {"default": sim.profile(), "work": sim.profile()}})
    monkeypatch.setenv("JOBCTL_CONFIG", str(path))
    # A fresh default client for this config, on the test's clock: the examples' waits pass at once.
    monkeypatch.setattr(client_module, "_default", jobctl.Client(clock=clock))
    monkeypatch.chdir(tmp_path)
    if n == 3:  # the download example: a finished job with a file
        sim.add_file("a.png", 1000, content_type="image/png")
        done = Step("completed", fields={"result": {"urls": [sim.file_url("a.png")]}})
        sim.add_job("krea", KREA_ID, [done])
        sim.add_job("gepetto", GEPETTO_ID, [Step("success", fields={"output": sim.file_url("a.png")})])
    code = readme_python_examples()[n].replace("127.0.0.1:8765", f"127.0.0.1:{sim.port}")
    if n == 0:
        sim.add_job("krea", KREA_ID, ["completed"])  # the first example expects a finished job
    if n == 4:  # list and cancel: a job still running
        sim.add_job("krea", KREA_ID, [Step("processing")])
    exec(compile(code, f"README.md python example {n + 1}", "exec"), {})
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    if n == 4:
        assert printed.out.splitlines() == [f"{KREA_ID} running", "cancelled"]
        assert ("DELETE", f"/krea/jobs/{KREA_ID}") in [(r.method, r.path) for r in sim.requests]
    if n == 3:
        assert (tmp_path / "out" / f"krea-{KREA_ID}.png").stat().st_size == 1000
        assert (tmp_path / "out" / f"gepetto-{GEPETTO_ID}.png").stat().st_size == 1000
        page = (tmp_path / "out" / "gallery.html").read_text()
        assert f'src="krea-{KREA_ID}.png"' in page and f'src="gepetto-{GEPETTO_ID}.png"' in page


def test_a_watch_left_early_abandons_its_downloads_and_keeps_the_part(
    sim: Simulator, client: Any, tmp_path: Path
) -> None:
    sim.add_file("slow.bin", 8 * 1024 * 1024, rate=1024 * 1024)  # eight seconds, at the least
    sim.add_job("krea", KREA_ID, [Step("completed", fields={"result": {"urls": [sim.file_url("slow.bin")]}})])
    watch = client.watch([f"krea:{KREA_ID}"], interval=0.02, download_to=tmp_path)
    for event in watch:
        if isinstance(event, jobctl.DownloadProgressed):
            break  # the loop stops while the file is coming
    deadline = time.monotonic() + 5
    while watch.downloads.outstanding and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watch.downloads.outstanding == 0  # nothing keeps downloading behind the caller
    part = tmp_path / f"krea-{KREA_ID}.bin.part"
    size = part.stat().st_size
    time.sleep(0.2)
    assert part.stat().st_size == size < 8 * 1024 * 1024
    assert not (tmp_path / f"krea-{KREA_ID}.bin").exists()


def test_a_home_relative_dir_is_read_with_the_clients_own_home(sim: Simulator, tmp_path: Path) -> None:
    home = tmp_path / "elsewhere"
    sim.add_file("a.png", 1000, content_type="image/png")
    sim.add_job("krea", KREA_ID, [Step("completed", fields={"result": {"urls": [sim.file_url("a.png")]}})])
    with jobctl.Client(providers=sim.profile(["krea"]), env={"HOME": str(home)}) as client:
        result = client.download(f"krea:{KREA_ID}", dir="~/out")
        page = client.gallery(f"krea:{KREA_ID}", "~/out/page.html", downloads=result)
    assert result.files == [home / "out" / f"krea-{KREA_ID}.png"]
    assert page == home / "out" / "page.html" and page.is_file()


def test_the_librarys_list_and_journal_messages_name_its_own_arguments(
    sim: Simulator, tmp_path: Path
) -> None:
    from jobctl.journal import Journal

    with jobctl.Client(providers=sim.profile(["krea"]), env={}, journal=Journal(tmp_path / "j")) as client:
        with pytest.raises(jobctl.UsageError, match=r"^status 'bogus' is not a status"):
            client.list_jobs("krea", status="bogus")
        with pytest.raises(jobctl.UsageError, match=r"^limit must be a whole number from 1 to 1000, not 0$"):
            client.list_jobs("krea", limit=0)
        page = client.gallery([f"krea:{KREA_ID}"], tmp_path / "p.html", offline=True)
    assert "fetch it instead (offline=False)" in page.read_text()
    assert sim.requests == []
