"""jobctl download: names, resume, skip, overwrite, credentials, faults, Ctrl-C, exit codes.

Every file comes from the simulator's /files/ (a second Simulator is "another
origin"); the bytes are deterministic, so each test knows the expected content.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CREATIFY_ID, GEPETTO_ID, KREA_ID, UNSTRUCTURED_ID
from hypothesis import given
from hypothesis import strategies as st

from jobctl._download.plan import safe_id
from jobctl._units import format_size, parse_size
from jobctl.sim import Simulator, Step
from jobctl.sim.files import SimFile

MiB = 1024 * 1024
KREA_KEY = "sim-krea-key"


@pytest.fixture
def other() -> Iterator[Simulator]:
    """Another origin: same host, another port."""
    with Simulator() as server:
        yield server


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def krea_done(sim: Simulator, job_id: str, *urls: str) -> None:
    sim.add_job("krea", job_id, [Step("completed", fields={"result": {"urls": list(urls)}})])


def served(sim: Simulator, name: str, size: int = 3 * MiB, **options: Any) -> tuple[str, SimFile]:
    file = sim.add_file(name, size, **options)
    return sim.file_url(name), file


def file_requests(sim: Simulator) -> list[tuple[str, str | None]]:
    return [(r.path, r.headers.get("range")) for r in sim.requests_for("files")]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- names -------------------------------------------------------------------------------


def test_one_output_is_named_provider_id_and_the_url_extension(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "images/a.png", content_type="image/png")
    krea_done(sim, KREA_ID, url)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    path = out / f"krea-{KREA_ID}.png"
    assert (result.code, result.out) == (0, "")
    assert result.err_lines == [f"krea:{KREA_ID}: {path} (3.0 MiB)"]
    assert path.read_bytes() == file.content()
    assert sorted(p.name for p in out.iterdir()) == [path.name]  # no .part left behind


def test_several_outputs_are_numbered_from_1_in_their_order(sim, config_file, jobctl, out) -> None:
    first, a = served(sim, "out/1.mp4", MiB)
    second, b = served(sim, "out/2.mp4", 2 * MiB)
    sim.add_job("creatify", CREATIFY_ID, [Step("done", fields={"output": json.dumps([first, second])})])
    result = jobctl("download", f"creatify:{CREATIFY_ID}", "--dir", str(out), "--json")
    assert result.code == 0
    manifest = json.loads(result.out)
    assert [(m["path"], m["url"], m["bytes"]) for m in manifest] == [
        (str(out / f"creatify-{CREATIFY_ID}-1.mp4"), first, MiB),
        (str(out / f"creatify-{CREATIFY_ID}-2.mp4"), second, 2 * MiB),
    ]
    assert (out / f"creatify-{CREATIFY_ID}-2.mp4").read_bytes() == b.content()
    assert manifest[0]["sha256"] == a.sha256()


def test_an_id_with_unsafe_characters_is_reduced_and_the_file_stays_in_dir(
    sim, config_file, jobctl, out
) -> None:
    job_id = "..%2F..%2Fetc*x:y"
    url, _ = served(sim, "g.jpg", 1000)
    sim.add_job("gepetto", job_id, [Step("success", fields={"output": url})])
    result = jobctl("download", f"gepetto:{job_id}", "-d", str(out), "--json")
    assert result.code == 0
    [entry] = json.loads(result.out)
    assert entry["path"] == str(out / "gepetto-.._2F.._2Fetc_x_y.jpg")
    assert [p.name for p in out.iterdir()] == ["gepetto-.._2F.._2Fetc_x_y.jpg"]


@given(st.text(min_size=1, max_size=80))
def test_a_sanitized_id_is_one_plain_path_segment(job_id: str) -> None:
    name = f"krea-{safe_id(job_id)}.png"
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert Path("/out", name).parent == Path("/out")
    assert set(safe_id(job_id)) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


@pytest.mark.parametrize(
    ("kind", "name"),
    [("image/png", "krea-x.png"), ("video/mp4; codecs=avc1", "krea-x.mp4"), (None, "krea-x")],
)
def test_without_an_extension_in_the_url_the_content_type_names_the_file(
    kind, name, sim, config_file, jobctl, out
) -> None:
    url, _ = served(sim, "blob/7f3a", 1000, content_type=kind)
    krea_done(sim, "x", url)
    result = jobctl("download", "krea:x", "-d", str(out))
    assert result.err_lines == [f"krea:x: {out / name} (1000 B)"]
    assert [p.name for p in out.iterdir()] == [name]


def test_outputs_that_are_not_urls_are_listed_as_not_downloadable(sim, config_file, jobctl, out) -> None:
    sim.add_job("unstructured", UNSTRUCTURED_ID, ["COMPLETED"])
    result = jobctl("download", f"unstructured:{UNSTRUCTURED_ID}", "-d", str(out))
    assert (result.code, result.out) == (0, "")
    assert result.err_lines == [
        f"unstructured:{UNSTRUCTURED_ID}: not downloadable (not an http(s) URL): 3c90c3cc-out.json"
    ]


# --- resume, skip, overwrite ------------------------------------------------------------------


def test_a_reset_mid_file_exits_5_keeps_the_part_and_the_next_run_resumes_with_range(
    sim, config_file, jobctl, out
) -> None:
    url, file = served(sim, "r.png", fault="reset", fault_at=MiB)
    krea_done(sim, KREA_ID, url)
    first = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    part = out / f"krea-{KREA_ID}.png.part"
    held = part.stat().st_size
    assert first.code == 5
    assert first.err_lines == [
        f"error: krea:{KREA_ID}: {url}: the connection broke off after {format_size(held)} of 3.0 MiB "
        "(connection reset by the server); the .part is kept, run again to resume"
    ]
    assert 0 < held <= MiB
    second = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--json")
    assert second.code == 0
    [entry] = json.loads(second.out)
    assert (entry["bytes"], entry["sha256"], entry["skipped"]) == (3 * MiB, file.sha256(), False)
    assert file_requests(sim)[-1] == ("/files/r.png", f"bytes={held}-")
    assert second.err_lines == [
        f"krea:{KREA_ID}: {out / f'krea-{KREA_ID}.png'} (3.0 MiB, resumed at {format_size(held)})"
    ]
    assert not part.exists()


def left_part(out: Path, data: bytes, file: SimFile) -> Path:
    """A .part holding ``data``, recorded as cut from ``file`` as it is served now."""
    from jobctl._download.engine import Validator, save_validator

    out.mkdir(exist_ok=True)
    part = out / f"krea-{KREA_ID}.png.part"
    part.write_bytes(data)
    save_validator(part, Validator(file.etag, file.last_modified, file.size))
    return part


def test_a_server_that_ignores_range_restarts_the_file_cleanly(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "n.png", MiB, fault="no-range", faults=None)
    krea_done(sim, KREA_ID, url)
    left_part(out, b"stale bytes from another file" * 1000, file)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 0
    assert file_requests(sim) == [("/files/n.png", "bytes=29000-")]
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == file.content()


def test_a_part_that_already_holds_the_whole_file_is_finished_on_416(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "w.png", MiB)
    krea_done(sim, KREA_ID, url)
    left_part(out, file.content(), file)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--json")
    assert result.code == 0
    assert json.loads(result.out)[0]["sha256"] == file.sha256()
    assert ranged_requests(sim) == [(f"bytes={MiB}-", file.etag)]
    assert [p.name for p in out.iterdir()] == [f"krea-{KREA_ID}.png"]


def test_a_part_longer_than_the_file_starts_over(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "w.png", 1000)
    krea_done(sim, KREA_ID, url)
    left_part(out, b"y" * 5000, file)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 0
    assert file_requests(sim) == [("/files/w.png", "bytes=5000-"), ("/files/w.png", None)]
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == file.content()


# --- resume: a .part only ever continues the version it was cut from -------------------------------


def ranged_requests(sim: Simulator) -> list[tuple[str | None, str | None]]:
    """Each file request's Range and If-Range."""
    return [(r.headers.get("range"), r.headers.get("if-range")) for r in sim.requests_for("files")]


def cut_off(sim: Simulator, jobctl: Any, out: Path, name: str, size: int, at: int, **options: Any) -> SimFile:
    """A first run that breaks off after ``at`` bytes of /files/NAME and leaves its .part."""
    url, file = served(sim, name, size, fault="short", fault_at=at, **options)
    krea_done(sim, KREA_ID, url)
    assert jobctl("download", f"krea:{KREA_ID}", "-d", str(out)).code == 5
    assert (out / f"krea-{KREA_ID}.png.part").stat().st_size == at
    return file


def test_a_file_replaced_on_the_server_after_a_cut_off_run_is_fetched_whole_never_spliced(
    sim, config_file, jobctl, out
) -> None:
    old = cut_off(sim, jobctl, out, "v.png", 3 * MiB, MiB)
    new = sim.replace_file("v.png", fault=None)
    assert new.etag != old.etag
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--json")
    assert result.code == 0
    path = out / f"krea-{KREA_ID}.png"
    assert json.loads(result.out)[0]["sha256"] == new.sha256()
    assert path.read_bytes() == new.content()
    # Asked for the rest of the old version only: the server answered with the whole new one.
    assert ranged_requests(sim)[-1] == (f"bytes={MiB}-", old.etag)
    assert result.err_lines == [f"krea:{KREA_ID}: {path} (3.0 MiB)"]
    assert sorted(p.name for p in out.iterdir()) == [path.name]


def test_a_partial_answer_from_another_version_starts_the_file_over(sim, config_file, jobctl, out) -> None:
    old = cut_off(sim, jobctl, out, "v.png", 3 * MiB, MiB)
    new = sim.replace_file("v.png", fault=None, honours_if_range=False)  # sends the range regardless
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--json", "--debug")
    assert result.code == 0
    assert json.loads(result.out)[0]["sha256"] == new.sha256()
    assert ranged_requests(sim)[-2:] == [(f"bytes={MiB}-", old.etag), (None, None)]
    part = out / f"krea-{KREA_ID}.png.part"
    assert (
        f"debug: krea:{KREA_ID}: {part} was cut from another version of the file "
        f"(ETag {old.etag}, now {new.etag}); starting over"
    ) in result.err_lines


def test_without_an_etag_the_last_modified_date_decides(sim, config_file, jobctl, out) -> None:
    old = cut_off(sim, jobctl, out, "m.png", 3 * MiB, MiB, sends_etag=False)
    new = sim.replace_file("m.png", fault=None)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 0
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == new.content()
    assert ranged_requests(sim)[-1] == (f"bytes={MiB}-", old.last_modified)


def test_an_unchanged_file_resumes_with_if_range(sim, config_file, jobctl, out) -> None:
    file = cut_off(sim, jobctl, out, "u.png", 3 * MiB, MiB)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--json")
    assert result.code == 0
    assert json.loads(result.out)[0]["sha256"] == file.sha256()
    assert ranged_requests(sim)[-1] == (f"bytes={MiB}-", file.etag)
    assert result.err_lines == [
        f"krea:{KREA_ID}: {out / f'krea-{KREA_ID}.png'} (3.0 MiB, resumed at 1.0 MiB)"
    ]


def test_without_any_validator_a_part_resumes_only_when_the_size_matches_and_says_so(
    sim, config_file, jobctl, out
) -> None:
    file = cut_off(sim, jobctl, out, "n.png", 3 * MiB, MiB, sends_etag=False, sends_last_modified=False)
    file.fault = None
    part = out / f"krea-{KREA_ID}.png.part"
    same = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--debug")
    assert same.code == 0
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == file.content()
    assert ranged_requests(sim)[-1] == (f"bytes={MiB}-", None)
    assert (
        f"debug: krea:{KREA_ID}: {part}: the server sends neither ETag nor Last-Modified; "
        "resuming at 1.0 MiB because the file's size (3.0 MiB) has not changed"
    ) in same.err_lines
    (out / f"krea-{KREA_ID}.png").unlink()
    cut_off(sim, jobctl, out, "n2.png", 3 * MiB, MiB, sends_etag=False, sends_last_modified=False)
    new = sim.replace_file("n2.png", fault=None, size=2 * MiB)
    other_size = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--debug")
    assert other_size.code == 0
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == new.content()
    assert ranged_requests(sim)[-2:] == [(f"bytes={MiB}-", None), (None, None)]
    assert (
        f"debug: krea:{KREA_ID}: {part} was cut from another version of the file "
        "(3.0 MiB, now 2.0 MiB); starting over"
    ) in other_size.err_lines


def test_a_part_without_its_record_starts_over(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "o.png", MiB)
    krea_done(sim, KREA_ID, url)
    out.mkdir()
    part = out / f"krea-{KREA_ID}.png.part"
    part.write_bytes(file.content(0, 1000))  # as jobctl 0.2 left it: no NAME.part.meta beside it
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--debug")
    assert result.code == 0
    assert ranged_requests(sim) == [(None, None)]
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == file.content()
    said = f"no record of the version it was cut from ({part}.meta); starting over"
    assert f"debug: krea:{KREA_ID}: {part}: {said}" in result.err_lines


def test_the_record_beside_a_part_is_private_and_goes_with_it(sim, config_file, jobctl, out) -> None:
    file = cut_off(sim, jobctl, out, "p.png", 3 * MiB, MiB)
    meta = out / f"krea-{KREA_ID}.png.part.meta"
    assert oct(meta.stat().st_mode & 0o777) == oct(0o600)
    assert json.loads(meta.read_text()) == {
        "etag": file.etag,
        "last_modified": file.last_modified,
        "size": 3 * MiB,
    }
    file.fault = None
    assert jobctl("download", f"krea:{KREA_ID}", "-d", str(out)).code == 0
    assert sorted(p.name for p in out.iterdir()) == [f"krea-{KREA_ID}.png"]


def test_a_complete_file_is_skipped_without_a_request_unless_overwrite(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "s.png", MiB)
    krea_done(sim, KREA_ID, url)
    assert jobctl("download", f"krea:{KREA_ID}", "-d", str(out)).code == 0
    path = out / f"krea-{KREA_ID}.png"
    path.write_bytes(b"edited by the user")
    again = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--json")
    assert again.code == 0
    assert json.loads(again.out) == [
        {
            "provider": "krea",
            "id": KREA_ID,
            "url": url,
            "path": str(path),
            "bytes": 18,
            "sha256": sha(b"edited by the user"),
            "skipped": True,
        }
    ]
    assert again.err_lines == [f"krea:{KREA_ID}: {path} (18 B, already there)"]
    assert len(file_requests(sim)) == 1
    fresh = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--overwrite", "--json")
    assert fresh.code == 0
    assert json.loads(fresh.out)[0]["skipped"] is False
    assert path.read_bytes() == file.content()
    assert len(file_requests(sim)) == 2


def test_a_symlink_at_the_target_name_is_not_followed(sim, config_file, jobctl, out, tmp_path) -> None:
    url, file = served(sim, "l.png", 1000)
    krea_done(sim, KREA_ID, url)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out.mkdir()
    (out / f"krea-{KREA_ID}.png").symlink_to(victim)
    (out / f"krea-{KREA_ID}.png.part").symlink_to(victim)
    refused = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert refused.code == 5
    assert refused.err_lines == [
        f"error: krea:{KREA_ID}: {out / f'krea-{KREA_ID}.png'} is a symlink; jobctl does not follow "
        "links: remove it (or pass --overwrite to replace the link)"
    ]
    part_refused = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--overwrite")
    assert part_refused.code == 5
    assert part_refused.err_lines == [
        f"error: krea:{KREA_ID}: {out / f'krea-{KREA_ID}.png.part'} is a symlink; "
        "jobctl does not write through links: remove it"
    ]
    assert len(file_requests(sim)) == 0
    (out / f"krea-{KREA_ID}.png.part").unlink()
    replaced = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--overwrite")
    assert replaced.code == 0
    assert victim.read_text() == "keep me"
    assert not (out / f"krea-{KREA_ID}.png").is_symlink()
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == file.content()


def test_at_most_4_files_download_at_once_from_one_host(sim, other, config_file, jobctl, out) -> None:
    urls = [
        served(host, f"{host.port}-{n}.bin", 100_000, rate=500_000)[0]
        for host in (sim, other)
        for n in range(9)
    ]
    krea_done(sim, KREA_ID, *urls)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 0, result.err
    assert len(list(out.iterdir())) == 18
    # urllib3 opens a connection for every request beyond the pool's 4 that runs at once.
    assert [len({r.connection for r in host.requests_for("files")}) for host in (sim, other)] == [4, 4]


# --- credentials ------------------------------------------------------------------------------


CREDENTIAL_HEADERS = ("authorization", "x-api-id", "x-api-key", "unstructured-api-key")


def credentials_seen(server: Simulator) -> list[dict[str, str]]:
    return [
        {k: v for k, v in r.headers.items() if k in CREDENTIAL_HEADERS} for r in server.requests_for("files")
    ]


def test_credentials_go_with_an_output_url_only_to_the_providers_own_origin(
    sim, other, config_file, jobctl, out
) -> None:
    own, _ = served(sim, "own.png", 1000)
    cdn, _ = served(other, "cdn.png", 1000)
    krea_done(sim, KREA_ID, own, cdn)
    ours, _ = served(sim, "c-own.mp4", 1000)
    theirs, _ = served(other, "c-cdn.mp4", 1000)
    sim.add_job("creatify", CREATIFY_ID, [Step("done", fields={"output": json.dumps([ours, theirs])})])
    result = jobctl("download", f"krea:{KREA_ID}", f"creatify:{CREATIFY_ID}", "-d", str(out))
    assert result.code == 0, result.err
    assert credentials_seen(other) == [{}, {}]
    seen = sorted(credentials_seen(sim), key=len)
    assert seen == [
        {"authorization": f"Bearer {KREA_KEY}"},
        {"x-api-id": "sim-creatify-id", "x-api-key": "sim-creatify-key"},
    ]


def test_a_redirect_to_another_origin_is_followed_without_credentials(
    sim, other, config_file, jobctl, out
) -> None:
    target, file = served(other, "moved.png", 1000)
    url, _ = served(sim, "here.png", 1000, fault="redirect", redirect=target)
    krea_done(sim, KREA_ID, url)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 0, result.err
    assert credentials_seen(sim) == [{"authorization": f"Bearer {KREA_KEY}"}]
    assert credentials_seen(other) == [{}]
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == file.content()


@pytest.mark.parametrize("where", ["output", "redirect"])
def test_plain_http_to_a_host_that_is_not_loopback_is_refused(where, sim, config_file, jobctl, out) -> None:
    far = "http://downloads.example.com/x.png"
    url, _ = served(sim, "r.png", 1000, fault="redirect", redirect=far)
    krea_done(sim, KREA_ID, far if where == "output" else url)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 5
    said = (
        "not downloading http://downloads.example.com/x.png: it"
        if where == "output"
        else ("redirected to http://downloads.example.com/x.png, which")
    )
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: {said} uses http:// for a host that is not loopback; "
        f"only https:// is fetched{'; not followed' if where == 'redirect' else ''}"
    ]
    assert not any(out.iterdir())


# --- faults: one line, exit 5, the .part stays ---------------------------------------------------


def test_a_body_shorter_than_its_content_length_exits_5_and_keeps_the_part(
    sim, config_file, jobctl, out
) -> None:
    url, _ = served(sim, "short.png", fault="short", fault_at=MiB)
    krea_done(sim, KREA_ID, url)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: {url}: the connection broke off after 1.0 MiB of 3.0 MiB "
        "(the server closed the connection early); the .part is kept, run again to resume"
    ]
    assert (out / f"krea-{KREA_ID}.png.part").stat().st_size == MiB


def test_an_html_page_where_a_png_was_expected_exits_5(sim, config_file, jobctl, out) -> None:
    url, _ = served(sim, "expired.png", fault="html")
    krea_done(sim, KREA_ID, url)
    out.mkdir()
    (out / f"krea-{KREA_ID}.png.part").write_bytes(b"x" * 100)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: {url}: the server sent an HTML page (text/html) where a .png file was "
        "expected; the link may have expired or need a login"
    ]
    assert [p.name for p in out.iterdir()] == [f"krea-{KREA_ID}.png.part"]
    assert (out / f"krea-{KREA_ID}.png.part").read_bytes() == b"x" * 100


def test_a_file_over_max_size_is_refused_before_a_byte_is_written(sim, config_file, jobctl, out) -> None:
    url, _ = served(sim, "big.png")
    krea_done(sim, KREA_ID, url)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--max-size", "1MiB")
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: {url}: the file is 3.0 MiB, more than --max-size 1.0 MiB; nothing written"
    ]
    assert not any(out.iterdir())


def test_a_body_without_a_length_is_saved_or_stopped_at_max_size(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "open.png", fault="no-length", faults=None)
    krea_done(sim, KREA_ID, url)
    stopped = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--max-size", "1MiB")
    assert stopped.code == 5
    assert stopped.err_lines == [
        f"error: krea:{KREA_ID}: {url}: more than --max-size 1.0 MiB received; stopped"
    ]
    assert (out / f"krea-{KREA_ID}.png.part").exists()
    whole = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert whole.code == 0
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == file.content()


def test_an_http_error_exits_5_with_its_status(sim, config_file, jobctl, out) -> None:
    url, _ = served(sim, "gone.png", fault="status", status=404)
    krea_done(sim, KREA_ID, url)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: {url}: HTTP 404 Not Found (the file is gone or the link has expired)"
    ]


def test_control_characters_in_an_output_url_never_reach_the_terminal(sim, config_file, jobctl, out) -> None:
    url = sim.file_url("\x1b]0;pwned\x07x\x1b[2J.png")
    krea_done(sim, KREA_ID, url)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: {sim.origin}/files/x.png: HTTP 404 Not Found "
        "(the file is gone or the link has expired)"
    ]


def _unshare() -> list[str] | None:
    """A command prefix giving a private mount namespace, or None where there is none."""
    tool = shutil.which("unshare")
    if tool is None:
        return None
    probe = subprocess.run([tool, "-rm", "true"], capture_output=True)
    return [tool, "-rm"] if probe.returncode == 0 else None


def test_a_full_disk_exits_5_and_keeps_the_part(sim, config_file, out) -> None:
    prefix = _unshare()
    if prefix is None:
        pytest.skip("needs unshare -rm for a private 1 MiB tmpfs")
    url, _ = served(sim, "full.png")
    krea_done(sim, KREA_ID, url)
    out.mkdir()
    script = (
        f'mount -t tmpfs -o size=1m tmpfs "{out}" || exit 99; '
        f'"{sys.executable}" -m jobctl download krea:{KREA_ID} -d "{out}" --no-track; echo "rc=$?"; '
        f'stat -c "%n %s" "{out}"/*.part'
    )
    proc = subprocess.run([*prefix, "sh", "-c", script], capture_output=True, text=True, timeout=60)
    if proc.returncode == 99:
        pytest.skip("mounting a tmpfs is not allowed here")
    part = out / f"krea-{KREA_ID}.png.part"
    rc, listing = proc.stdout.splitlines()
    name, size = listing.split()
    assert (rc, name) == ("rc=5", str(part))
    assert 0 < int(size) <= MiB
    assert proc.stderr.splitlines() == [
        f"error: krea:{KREA_ID}: {url}: disk full writing {part} after {format_size(int(size))}; "
        "free some space and run again to resume"
    ]


def _write_through(fd: int, data: bytes) -> tuple[str | None, BaseException | None]:
    """Feed ``data`` through the downloader's writer as its reads would, on a thread that must end."""
    from jobctl._download.engine import _Writer

    result: list[tuple[str | None, BaseException | None]] = []
    stream = memoryview(data)

    def run() -> None:
        nonlocal stream
        writer = _Writer(fd, 0, hashlib.sha256())
        try:
            try:
                while stream:
                    buffer = writer.buffer()
                    size = min(len(buffer), len(stream))
                    buffer[:size], stream = stream[:size], stream[size:]
                    writer.write(buffer, size)
            finally:
                digest = writer.close()
            result.append((digest, None))
        except OSError as exc:
            result.append((None, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert result, "the writer hung"
    return result[0]


def test_the_writer_writes_and_hashes_every_byte_in_order(tmp_path) -> None:
    data = bytes(range(256)) * (9 * MiB // 256) + b"tail"  # several buffers and a short last one
    fd = os.open(tmp_path / "file", os.O_RDWR | os.O_CREAT)
    try:
        digest, error = _write_through(fd, data)
    finally:
        os.close(fd)
    assert (digest, error) == (sha(data), None)
    assert (tmp_path / "file").read_bytes() == data


def test_a_write_that_fails_is_raised_and_the_hasher_still_ends(tmp_path) -> None:
    fd = os.open(tmp_path / "read-only", os.O_RDONLY | os.O_CREAT)
    try:
        digest, error = _write_through(fd, bytes(9 * MiB))
    finally:
        os.close(fd)
    assert digest is None
    assert isinstance(error, OSError) and error.errno == errno.EBADF


# --- interruption -----------------------------------------------------------------------------


def test_ctrl_c_exits_130_keeps_the_part_and_the_next_run_resumes_it(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "slow.mp4", 8 * MiB, rate=512 * 1024)
    krea_done(sim, KREA_ID, url)
    part = out / f"krea-{KREA_ID}.mp4.part"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobctl", "download", f"krea:{KREA_ID}", "-d", str(out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    guard = threading.Timer(30, proc.kill)
    guard.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (part.exists() and part.stat().st_size > 0):
            time.sleep(0.02)
        assert part.exists(), "no .part appeared within 20 s"
        first = part.stat().st_size
        proc.send_signal(signal.SIGINT)
        stdout, err = proc.communicate(timeout=20)
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, stdout, err) == (130, "", "")
    # Each read is written as it comes: at 512 KiB/s the .part grows by small steps.
    assert 0 < first < MiB
    held = part.stat().st_size
    assert 0 < held < 8 * MiB
    sim.files["slow.mp4"].rate = None
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--json")
    assert result.code == 0
    assert json.loads(result.out)[0]["sha256"] == file.sha256()
    assert file_requests(sim)[-1] == ("/files/slow.mp4", f"bytes={held}-")


# --- jobs, refs, directories ------------------------------------------------------------------


def test_a_job_that_has_not_succeeded_downloads_nothing_and_exits_1(sim, config_file, jobctl, out) -> None:
    url, _ = served(sim, "a.png", 1000)
    krea_done(sim, KREA_ID, url)
    sim.add_job("gepetto", GEPETTO_ID, ["processing"])
    sim.add_job("krea", "broken", ["failed"])
    result = jobctl("download", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "krea:broken", "-d", str(out))
    assert result.code == 1
    assert result.err_lines == [
        f"krea:{KREA_ID}: {out / f'krea-{KREA_ID}.png'} (1000 B)",
        f"error: gepetto:{GEPETTO_ID}: the job is running (processing), not finished; nothing downloaded "
        f"(jobctl watch gepetto:{GEPETTO_ID} --until-done --download DIR waits for it)",
        "error: krea:broken: the job failed; nothing to download",
    ]
    assert [p.name for p in out.iterdir()] == [f"krea-{KREA_ID}.png"]


def test_refs_can_come_from_stdin(sim, config_file, jobctl, out) -> None:
    url, _ = served(sim, "a.png", 1000)
    krea_done(sim, KREA_ID, url)
    result = jobctl("download", "-", "-d", str(out), "--json", stdin=f"krea:{KREA_ID}\n")
    assert result.code == 0
    assert [m["id"] for m in json.loads(result.out)] == [KREA_ID]


def test_a_dir_that_is_a_file_exits_2_before_anything_is_sent(sim, config_file, jobctl, tmp_path) -> None:
    krea_done(sim, KREA_ID, sim.file_url("a.png"))
    blocker = tmp_path / "taken"
    blocker.write_text("")
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(blocker))
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [f"error: --dir {blocker} exists and is not a directory; choose another --dir"]
    assert sim.requests == []


def test_a_bad_max_size_exits_2(jobctl) -> None:
    result = jobctl("download", "krea:x", "--max-size", "lots")
    assert result.code == 2
    assert result.err_lines == ["error: --max-size 'lots' is not a size; use e.g. 500MB, 2GiB or 1048576"]


@pytest.mark.parametrize(
    ("text", "size"),
    [("1024", 1024), ("10K", 10240), ("500MB", 500_000_000), ("2GiB", 2 * 1024**3), ("1.5 M", 1572864)],
)
def test_sizes_read_as_their_units_say(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_the_journal_records_what_was_downloaded_where(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "a.png", 1000)
    krea_done(sim, KREA_ID, url)
    assert jobctl("download", f"krea:{KREA_ID}", "-d", str(out)).code == 0
    [entry] = json.loads(jobctl("ls", "--all", "--json").out)
    [saved] = entry["downloads"]
    assert {k: saved[k] for k in ("url", "path", "bytes", "sha256")} == {
        "url": url,
        "path": str((out / f"krea-{KREA_ID}.png").absolute()),
        "bytes": 1000,
        "sha256": None,  # checksums are computed for --json only
    }
    assert jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--json").code == 0
    [entry] = json.loads(jobctl("ls", "--all", "--json").out)
    assert [d["sha256"] for d in entry["downloads"]] == [file.sha256()]


def test_download_help_has_examples(jobctl) -> None:
    result = jobctl("download", "--help")
    assert result.code == 0
    assert result.lines[0].startswith("Usage: jobctl download")
    assert any(line.strip() == "Examples:" for line in result.lines)


# --- watch --download and the demo --------------------------------------------------------------


def test_watch_download_fetches_each_job_as_it_succeeds_while_others_run(
    sim, config_file, jobctl, out
) -> None:
    early, a = served(sim, "early.png", 1000)
    late, b = served(sim, "late.png", 2 * MiB, rate=8 * MiB)
    krea_done(sim, "early", early)
    sim.add_job(
        "krea",
        "late",
        [Step("processing", requests=4), Step("completed", fields={"result": {"urls": [late]}})],
    )
    result = jobctl(
        "watch", "krea:early", "krea:late", "--until-done", "--download", str(out), *("--interval", "0.05")
    )
    assert result.code == 0, result.err
    assert result.err_lines == [
        f"krea:early: {out / 'krea-early.png'} (1000 B)",
        f"krea:late: {out / 'krea-late.png'} (2.0 MiB)",
    ]
    assert (out / "krea-early.png").read_bytes() == a.content()
    assert (out / "krea-late.png").read_bytes() == b.content()  # written before watch returned
    fetched_early = next(r.at for r in sim.requests_for("files") if r.path == "/files/early.png")
    late_done = sim.requests_for("krea", "late")[4].at
    assert fetched_early < late_done


def test_watch_download_on_a_terminal_finishes_its_bars_inside_the_live_display(
    sim, config_file, jobctl, out, on_a_terminal
) -> None:
    url, file = served(sim, "late.png", 3 * MiB, rate=12 * MiB)
    steps = [Step("processing", requests=2), Step("completed", fields={"result": {"urls": [url]}})]
    sim.add_job("krea", "late", steps)
    result = jobctl("watch", "krea:late", "--until-done", "--download", str(out), *("--interval", "0.05"))
    assert result.code == 0, result.err
    assert (out / "krea-late.png").read_bytes() == file.content()
    # The file was still coming when the job table was final: its bar finished in the
    # live display, which ends with the total; nothing is drawn again below it.
    assert result.lines[0] == "✓ krea-late.png (3.0 MiB)"
    assert re.fullmatch(r"1 succeeded   krea \d+/120 per min", result.lines[-2])
    assert re.fullmatch(r"total ━+ 3\.0/3\.0 MiB .+", result.lines[-1])
    assert [line for line in result.lines if "MiB" in line] == [result.lines[0], result.lines[-1]]
    assert all(len(line) <= 80 for line in result.lines)


def _bars_at(width: int, encoding: str = "utf-8") -> list[str]:
    """Two files in flight (a long name and a short one) as the bars show them."""
    from rich.console import Console

    from jobctl import DownloadFinished, DownloadProgressed, DownloadStarted, Saved
    from jobctl._download.plan import Target
    from jobctl.cli.context import utf_encoding
    from jobctl.cli.output.progress import BarsProgress

    stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding)  # strict: a glyph it cannot carry raises
    console = Console(file=stream, width=width, force_terminal=True, color_system=None)
    bars = BarsProgress(console, utf_encoding(encoding), standalone=False)
    long = Target("creatify", CREATIFY_ID, "https://cdn.example/a.mp4", f"creatify-{CREATIFY_ID}")
    short = Target("krea", "k", "https://cdn.example/b.png", "krea-k")
    bars.show(DownloadStarted(long, f"creatify-{CREATIFY_ID}.mp4", 6 * MiB, 0))
    bars.show(DownloadProgressed(long, 5 * MiB // 2))
    bars.show(DownloadStarted(short, "krea-k.png", 1024 * MiB, 0))
    bars.show(DownloadProgressed(short, 1000 * MiB))
    console.print(bars)
    bars.show(DownloadFinished(Saved(short, Path("out/krea-k.png"), 1024 * MiB, None)))
    stream.flush()
    return [line.rstrip() for line in stream.buffer.getvalue().decode(encoding).splitlines()]  # type: ignore[attr-defined]


LONG_NAME = f"creatify-{CREATIFY_ID}.mp4"
NAMES_SHOWN = {60: "creat….mp4", 80: "creatify-2f8c6e…4b8d0e1f32.mp4", 120: LONG_NAME, 200: LONG_NAME}


@pytest.mark.parametrize("width", sorted(NAMES_SHOWN))
def test_each_progress_bar_is_one_line_within_the_width(width: int) -> None:
    *lines, done = _bars_at(width)
    # The bar gives way to 10 cells first, then the name is cut in its middle.
    assert [line.split()[0] for line in lines] == ["total", NAMES_SHOWN[width], "krea-k.png"]
    assert all(len(line) <= width for line in lines)
    assert all(line.endswith(("-:--:--", "0:00:00")) for line in lines)  # the ETA column is never cut
    assert done == "✓ krea-k.png (1.0 GiB)"


def test_progress_bars_on_an_ascii_terminal_use_ascii_only() -> None:
    *lines, done = _bars_at(80, "ascii")
    assert [line.split()[0] for line in lines] == ["total", "creatify-2f8c6...b8d0e1f32.mp4", "krea-k.png"]
    assert done == "krea-k.png (1.0 GiB)"


def test_watch_download_into_an_unusable_dir_exits_2_before_anything_is_sent(
    sim, config_file, jobctl, tmp_path
) -> None:
    krea_done(sim, KREA_ID, sim.file_url("a.png"))
    blocker = tmp_path / "taken"
    blocker.write_text("")
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--download", str(blocker))
    assert (result.code, result.out) == (2, "")
    # watch has no --dir: the option that named the directory is --download.
    assert result.err_lines == [
        f"error: --download {blocker} exists and is not a directory; choose another --download"
    ]
    assert sim.requests == []


def test_the_demo_downloads_three_jobs_files_into_a_folder_that_stays(jobctl, demo_tmp) -> None:
    result = jobctl("demo", "--speed", "0.05")
    assert result.code == 0, result.err
    lines = result.lines
    start = next(n for n, line in enumerate(lines) if line.startswith("$ jobctl download "))
    end = next(n for n, line in enumerate(lines) if line.startswith("The same with your own keys:"))
    folder = next(line for line in lines[start:end] if line.startswith("    -d ")).removeprefix("    -d ")
    shown = " ".join(lines[start:end])
    files = [
        (f"creatify:{CREATIFY_ID}", f"creatify-{CREATIFY_ID}.mp4", "6.0 MiB"),
        (f"gepetto:{GEPETTO_ID}", f"gepetto-{GEPETTO_ID}.jpg", "2.0 MiB"),
        (f"krea:{KREA_ID}", f"krea-{KREA_ID}.png", "3.0 MiB"),
    ]
    for ref, name, size in files:
        assert f"{ref}: {name} ({size})" in shown or f"{ref}:     {name} ({size})" in shown, shown
    assert all(len(line) <= 80 for line in lines[start:end])
    assert Path(folder).parent == demo_tmp  # for the gallery the demo ends with
    assert sorted(p.name for p in Path(folder).iterdir()) == sorted(
        [*(name for _, name, _ in files), "gallery.html"]
    )


def test_sim_file_rate_must_be_a_size(jobctl) -> None:
    result = jobctl("sim", "--file-rate", "fast")
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == ["error: --file-rate 'fast' is not a size; use e.g. 500MB, 2GiB or 1048576"]


def test_a_url_with_a_bad_port_is_one_clear_line(sim, config_file, jobctl, out) -> None:
    krea_done(sim, KREA_ID, "https://cdn.example.com:99999/x.png")
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 5
    assert result.err_lines == [
        f"error: krea:{KREA_ID}: not downloading https://cdn.example.com:99999/x.png: it is not a valid URL"
    ]


def test_forgetting_a_job_forgets_its_downloads(sim, config_file, jobctl, out) -> None:
    url, _ = served(sim, "a.png", 1000)
    krea_done(sim, KREA_ID, url)
    assert jobctl("download", f"krea:{KREA_ID}", "-d", str(out)).code == 0
    assert jobctl("forget", f"krea:{KREA_ID}").out == "forgot 1 job\n"
    assert jobctl("get", f"krea:{KREA_ID}").code == 0
    [entry] = json.loads(jobctl("ls", "--all", "--json").out)
    assert entry["downloads"] == []


def test_a_503_is_retried_before_the_file_is_given_up(sim, config_file, jobctl, out) -> None:
    url, file = served(sim, "busy.png", 1000, fault="status", status=503, faults=2)
    krea_done(sim, KREA_ID, url)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out))
    assert result.code == 0, result.err
    assert len(file_requests(sim)) == 3
    assert (out / f"krea-{KREA_ID}.png").read_bytes() == file.content()


def test_debug_names_the_headers_sent_with_a_file_but_never_their_values(
    sim, other, config_file, jobctl, out
) -> None:
    own, _ = served(sim, "own.png", 1000)
    cdn, _ = served(other, "cdn.png", 1000)
    krea_done(sim, KREA_ID, own, cdn)
    result = jobctl("download", f"krea:{KREA_ID}", "-d", str(out), "--debug")
    assert result.code == 0
    file_lines = [line for line in result.err_lines if line.startswith("debug: GET") and "/files/" in line]
    assert len(file_lines) == 2
    assert set(file_lines) == {f"debug: GET {cdn} [no credentials]", f"debug: GET {own} [Authorization]"}
    assert KREA_KEY not in result.err


@pytest.mark.parametrize("text", ["1" * 400, "9999999TB", "1e3"])
def test_a_max_size_too_large_to_count_exits_2_before_anything_is_sent(
    sim, config_file, jobctl, text
) -> None:
    result = jobctl("download", f"krea:{KREA_ID}", "--max-size", text)
    assert (result.code, result.out) == (2, "")
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith(f"error: --max-size '{text}' ")
    assert sim.requests == []
