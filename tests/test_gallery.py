"""jobctl gallery, Client.gallery and watch --gallery: a card per job, what each kind of
output becomes, where local files come from, escaping, the journal, bad input; and the
page in a real headless Chromium (tests/browser.py): every card there, hostile text
that stayed text, local thumbnails that loaded, the filters, screenshots."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sqlite3
import stat
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import browser
import pytest
from conftest import AISQUARE_ID, CREATIFY_ID, GEPETTO_ID, KREA_ID, journal_path, run_process

import jobctl
from jobctl.errors import NotFoundError
from jobctl.model import Job, JobError, Status
from jobctl.sim import Simulator, Step
from jobctl.sim.files import picture

NOW = datetime(2026, 11, 20, 10, 0, 0, tzinfo=timezone.utc)
SECOND_KREA = "9b1f6c1e-3f0a-4c55-9d1e-7f2d8a0c4b11"
# What a hostile provider might send: markup, an event handler, script URLs.
SCRIPT = "<script>window.pwned = 'script'</script>"
HANDLER = "<img src=x onerror=\"window.pwned = 'onerror'\">"
JS_URL = "javascript:window.pwned = 'link'"
DATA_URL = "data:text/html,<script>window.pwned = 'data'</script>"
BREAKOUT_URL = 'http://127.0.0.1:1/x"onerror="window.pwned=\'attribute\'".png'  # out of its attribute


class Page(HTMLParser):
    """The parts of a gallery page a test reads: every element with its attributes, the
    text of each card, and the contents of <script> and <style>."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.cards: list[dict[str, Any]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self.summary = ""
        self._inside: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "article" in self._inside:
            self.cards[-1]["text"] += " "  # each element's text is a word apart
        self.elements.append((tag, found))
        if tag == "article":
            self.cards.append({"classes": (found.get("class") or "").split(), "text": "", "elements": []})
        elif self.cards and "article" in self._inside:
            self.cards[-1]["elements"].append((tag, found))
        if tag in ("script", "style"):
            self.inline[tag].append("")
        if found.get("class") == "summary":
            tag = "summary"
        if tag not in ("img", "meta", "input", "br"):
            self._inside.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if "article" in self._inside:
            self.cards[-1]["text"] += " "
        if self._inside:
            self._inside.pop()

    def handle_data(self, data: str) -> None:
        if self._inside and self._inside[-1] in ("script", "style"):
            self.inline[self._inside[-1]][-1] += data
        elif "article" in self._inside:
            self.cards[-1]["text"] += data
        elif "summary" in self._inside:
            self.summary += data

    def card_texts(self) -> list[str]:
        return [" ".join(c["text"].split()) for c in self.cards]

    def card(self, provider: str, job_id: str) -> dict[str, Any]:
        return next(c for c in self.cards if " ".join(c["text"].split()).startswith(f"{provider} {job_id} "))


def read_page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def media(card: dict[str, Any]) -> list[tuple[str, str | None]]:
    """What a card embeds or links: (tag, src or href), in order."""
    return [
        (tag, a.get("src") or a.get("href"))
        for tag, a in card["elements"]
        if tag in ("img", "video", "audio", "a")
    ]


def krea_done(
    sim: Simulator, job_id: str, *urls: str, created: datetime | None = None, **fields: Any
) -> None:
    body = {"result": {"urls": list(urls)}, **fields}
    sim.add_job("krea", job_id, [Step("completed", fields=body)], created=created)


def served_picture(sim: Simulator, name: str) -> str:
    sim.add_file(name, 100_000, content_type="image/png", lead=picture(name))
    return sim.file_url(name)


# --- jobctl gallery ---------------------------------------------------------------------------


def test_gallery_writes_a_card_per_ref_newest_first_and_prints_where_the_page_is(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    krea_done(sim, KREA_ID, sim.file_url("k.png"), created=NOW - timedelta(minutes=3))
    sim.add_job("gepetto", GEPETTO_ID, [Step("failed", fields={"error": "Room too dark"})], created=NOW)
    sim.add_job("aisquare", AISQUARE_ID, ["RUNNING"], created=NOW - timedelta(minutes=1))
    page = tmp_path / "page.html"
    result = jobctl(
        "gallery", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", f"aisquare:{AISQUARE_ID}", "-o", str(page)
    )
    assert (result.code, result.out, result.err) == (0, f"{page}\n", "")
    shown = read_page(page)
    assert [c["classes"][1] for c in shown.cards] == ["st-failed", "st-running", "st-succeeded"]
    assert [t.split()[:2] for t in shown.card_texts()] == [
        ["gepetto", GEPETTO_ID],
        ["aisquare", AISQUARE_ID],
        ["krea", KREA_ID],
    ]
    assert " ".join(shown.summary.split()) == "3 jobs · 1 succeeded · 1 failed · 1 running"
    assert "error Room too dark" in shown.card_texts()[0]


def test_a_card_shows_status_and_provider_word_kind_times_how_long_error_and_results(tmp_path: Path) -> None:
    job = Job(
        "creatify",
        CREATIFY_ID,
        Status.FAILED,
        "rejected",
        kind="image_to_video",
        created_at=NOW - timedelta(seconds=95),
        finished_at=NOW - timedelta(seconds=84),
        error=JobError("too_small", "Input image is too small (min 512x512)"),
        results={"credits": 2, "meta": {"w": 512, "tags": ["a"]}},
    )
    [text] = _page_of([job], tmp_path).card_texts()
    assert text == (
        f"creatify {CREATIFY_ID} failed (rejected) · image_to_video "
        "created 2026-11-20 09:58:25 UTC finished 2026-11-20 09:58:36 UTC took 11s "
        "error too_small Input image is too small (min 512x512) "
        'result credits 2 result meta {"w": 512, "tags": ["a"]}'
    )


def _page_of(jobs: list[Any], folder: Path, **options: Any) -> Page:
    with jobctl.Client(providers={}, env={}) as client:
        return read_page(client.gallery(jobs, folder / "page.html", **options))


@pytest.mark.parametrize(
    ("outputs", "expired", "shown"),
    [
        ((), None, "outputs none reported"),
        (
            ("https://x.test/a.png",),
            NOW + timedelta(minutes=42),
            "outputs expire 2026-11-20 10:42:00 UTC (in 42m00s)",
        ),
        (("https://x.test/a.png",), NOW - timedelta(minutes=5), "outputs expired 2026-11-20 09:55:00 UTC"),
    ],
)
def test_a_card_says_when_the_outputs_expire(
    outputs: tuple[str, ...], expired: datetime | None, shown: str, tmp_path: Path
) -> None:
    job = Job("krea", KREA_ID, Status.SUCCEEDED, "completed", outputs=outputs, outputs_expire_at=expired)
    with jobctl.Client(providers={}, env={}, clock=_at(NOW)) as client:
        [text] = read_page(client.gallery([job], tmp_path / "p.html")).card_texts()
    assert text.endswith(shown)


def test_a_card_says_when_the_provider_removed_the_outputs(tmp_path: Path) -> None:
    job = Job("krea", KREA_ID, Status.SUCCEEDED, "completed", outputs_removed=True)
    [text] = _page_of([job], tmp_path).card_texts()
    assert (
        text == f"krea {KREA_ID} succeeded (completed) outputs none reported outputs removed by the provider"
    )


def _at(when: datetime) -> Any:
    from clocks import StoppedClock

    return StoppedClock(when.timestamp())


def test_each_kind_of_output_becomes_a_thumbnail_a_player_or_a_link(tmp_path: Path) -> None:
    outputs = (
        "https://cdn.test/img/a.PNG",
        "https://cdn.test/clip.mp4?sig=1",
        "https://cdn.test/voice.mp3",
        "https://cdn.test/report.pdf",
        "https://cdn.test/blog/1042",
        "3c90c3cc-out.json",
    )
    job = Job("krea", KREA_ID, Status.SUCCEEDED, "completed", outputs=outputs)
    card = _page_of([job], tmp_path).cards[0]
    assert media(card) == [
        ("a", outputs[0]),
        ("img", outputs[0]),
        ("a", outputs[0]),
        ("video", outputs[1]),
        ("a", outputs[1]),
        ("audio", outputs[2]),
        ("a", outputs[2]),
        ("a", outputs[3]),
        ("a", outputs[4]),
    ]
    attrs = {tag: a for tag, a in card["elements"] if tag in ("video", "audio", "img")}
    assert "controls" in attrs["video"] and "controls" in attrs["audio"]
    assert attrs["img"]["loading"] == "lazy"
    text = " ".join(card["text"].split())
    assert (
        "a.PNG clip.mp4 voice.mp3 report.pdf 1042 3c90c3cc-out.json (not an http(s) URL; not linked)" in text
    )


def test_a_ref_that_cannot_be_read_gets_a_card_with_its_error_and_the_exit_code_of_get(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    krea_done(sim, KREA_ID)
    page = tmp_path / "g.html"
    result = jobctl("gallery", f"krea:{KREA_ID}", "krea:gone", "kreaa:x", "-o", str(page))
    assert (result.code, result.out) == (2, f"{page}\n")
    assert result.err_lines == [
        "error: unknown provider 'kreaa' (did you mean 'krea'?); supported: "
        "krea, creatify, unstructured, gepetto, aisquare",
        "error: krea:gone: job not found (HTTP 404): Job not found",
    ]
    shown = read_page(page)
    assert [c["classes"][1] for c in shown.cards] == ["st-succeeded", "st-error", "st-error"]
    assert shown.card_texts()[1:] == [
        "krea gone could not be read krea:gone: job not found (HTTP 404): Job not found",
        "? ? could not be read unknown provider 'kreaa' (did you mean 'krea'?); supported: "
        "krea, creatify, unstructured, gepetto, aisquare",
    ]
    assert " ".join(shown.summary.split()) == "3 jobs · 1 succeeded · 2 errors"
    result = jobctl("gallery", "krea:gone", "-o", str(page))
    assert result.code == 4


@pytest.mark.parametrize("where", ["a directory", "under a file"])
def test_an_unwritable_output_is_one_clear_line_and_exit_2_before_anything_is_sent(
    where: str, sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    target = tmp_path if where == "a directory" else tmp_path / "file" / "g.html"
    reason = "it is a directory" if where == "a directory" else f"{tmp_path / 'file'} is not a directory"
    result = jobctl("gallery", f"krea:{KREA_ID}", "-o", str(target))
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [f"error: cannot write the gallery to {target}: {reason}; choose another file"]
    assert sim.requests == []


def test_an_output_in_a_folder_that_is_not_writable_is_refused(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    result = jobctl("gallery", f"krea:{KREA_ID}", "-o", str(locked / "g.html"))
    page = locked / "g.html"
    assert result.err_lines == [
        f"error: cannot write the gallery to {page}: {locked} is not writable; choose another file"
    ]
    assert result.code == 2


def test_missing_folders_of_the_output_are_created(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    krea_done(sim, KREA_ID)
    page = tmp_path / "a" / "b" / "g.html"
    assert jobctl("gallery", f"krea:{KREA_ID}", "-o", str(page)).code == 0
    assert [p.name for p in page.parent.iterdir()] == ["g.html"]  # no temporary file left


def test_refs_come_from_stdin_as_get_reads_them(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    krea_done(sim, KREA_ID)
    krea_done(sim, SECOND_KREA)
    page = tmp_path / "g.html"
    result = jobctl(
        "gallery", "-", "-o", str(page), stdin=f'krea:{KREA_ID}\n# a comment\n"krea {SECOND_KREA}"\n'
    )
    assert result.code == 0, result.err
    assert sorted(t.split()[1] for t in read_page(page).card_texts()) == sorted([KREA_ID, SECOND_KREA])
    result = jobctl("gallery", "-", "-o", str(page), stdin="")
    assert (result.code, result.err_lines) == (
        2,
        ["error: no job refs on stdin; pipe refs (one provider:id per line) or pass them"],
    )


def test_without_refs_it_shows_the_journals_jobs_of_the_last_day_and_all_shows_every_one(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    krea_done(sim, KREA_ID)
    krea_done(sim, SECOND_KREA)
    assert jobctl("get", f"krea:{KREA_ID}", f"krea:{SECOND_KREA}").code == 0
    with sqlite3.connect(journal_path()) as db:  # seen two days ago
        db.execute("UPDATE jobs SET last_seen = last_seen - 2 * 86400 WHERE id = ?", (SECOND_KREA,))
    page = tmp_path / "g.html"
    assert jobctl("gallery", "-o", str(page)).code == 0
    assert [t.split()[1] for t in read_page(page).card_texts()] == [KREA_ID]
    assert jobctl("gallery", "--all", "-o", str(page)).code == 0
    assert sorted(t.split()[1] for t in read_page(page).card_texts()) == sorted([KREA_ID, SECOND_KREA])


def test_without_refs_and_nothing_tracked_it_says_what_to_pass(jobctl: Any, tmp_path: Path) -> None:
    result = jobctl("gallery", "-o", str(tmp_path / "g.html"))
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        "error: nothing to show: no refs given and no job seen in the last day (--all: every "
        "tracked one); pass refs, e.g. jobctl gallery krea:ID"
    ]
    assert not (tmp_path / "g.html").exists()


def test_fetched_jobs_are_fetched_fresh_and_remembered_as_get_remembers_them(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing", requests=1), "completed"])
    assert jobctl("get", f"krea:{KREA_ID}").code == 0
    assert jobctl("gallery", "-o", str(tmp_path / "g.html")).code == 0  # the journal's job, asked again
    assert read_page(tmp_path / "g.html").cards[0]["classes"][1] == "st-succeeded"
    [entry] = json.loads(jobctl("ls", "--all", "--json").out)
    assert entry["status"] == "succeeded"


def test_offline_shows_the_journals_last_known_state_and_sends_nothing(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    sim.add_job("krea", KREA_ID, [Step("processing", requests=1), "completed"])
    assert jobctl("get", f"krea:{KREA_ID}").code == 0
    sent = len(sim.requests)
    page = tmp_path / "g.html"
    result = jobctl("gallery", "--offline", f"krea:{KREA_ID}", "krea:never-seen", "-o", str(page))
    assert len(sim.requests) == sent
    assert result.err_lines == [
        "error: krea:never-seen: not in the job journal; fetch it instead (without --offline)"
    ]
    assert result.code == 2
    assert [c["classes"][1] for c in read_page(page).cards] == ["st-running", "st-error"]
    assert jobctl("gallery", "--offline", "-o", str(page)).code == 0
    assert len(sim.requests) == sent
    assert [t.split()[:3] for t in read_page(page).card_texts()] == [["krea", KREA_ID, "running"]]


def test_a_job_the_provider_no_longer_knows_is_not_asked_again_without_refs(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    krea_done(sim, KREA_ID)
    assert jobctl("get", f"krea:{KREA_ID}").code == 0
    sim.reset()  # the provider forgot it
    assert jobctl("get", f"krea:{KREA_ID}").code == 4  # and said so: the journal marks it gone
    sent = len(sim.requests)
    result = jobctl("gallery", "-o", str(tmp_path / "g.html"))
    assert (result.code, len(sim.requests)) == (0, sent)
    [text] = read_page(tmp_path / "g.html").card_texts()
    assert text.startswith(f"krea {KREA_ID} succeeded (completed) ")
    assert text.endswith(
        " error not_found the provider no longer knows this job (HTTP 404) outputs none reported"
    )


# --- local files ------------------------------------------------------------------------------


def test_a_downloaded_file_is_shown_from_its_path_relative_to_the_page(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    image = served_picture(sim, "k.png")
    krea_done(sim, KREA_ID, image)
    krea_done(sim, SECOND_KREA, sim.file_url("not-downloaded.png"))
    out = tmp_path / "out dir"
    assert jobctl("download", f"krea:{KREA_ID}", "-d", str(out)).code == 0
    refs = (f"krea:{KREA_ID}", f"krea:{SECOND_KREA}")
    assert jobctl("gallery", *refs, "-o", str(out / "index.html")).code == 0
    shown = read_page(out / "index.html")
    name = f"krea-{KREA_ID}.png"
    assert media(shown.card("krea", KREA_ID)) == [("a", name), ("img", name), ("a", name)]
    assert media(shown.card("krea", SECOND_KREA))[1] == ("img", sim.file_url("not-downloaded.png"))
    assert f"{name} (downloaded)" in " ".join(shown.card("krea", KREA_ID)["text"].split())
    assert jobctl("gallery", *refs, "-o", str(tmp_path / "pages" / "g.html")).code == 0
    elsewhere = read_page(tmp_path / "pages" / "g.html")
    assert media(elsewhere.card("krea", KREA_ID))[1] == ("img", f"../out%20dir/{name}")
    (out / name).unlink()  # gone from the disk: its URL again
    assert jobctl("gallery", *refs, "-o", str(out / "index.html")).code == 0
    assert media(read_page(out / "index.html").card("krea", KREA_ID))[1] == ("img", image)


def test_a_file_beside_the_page_is_preferred_to_another_download_of_it(tmp_path: Path) -> None:
    from jobctl._download.engine import Saved
    from jobctl._download.plan import Target

    url = "https://cdn.test/a.png"
    job = Job("krea", KREA_ID, Status.SUCCEEDED, "completed", outputs=(url,))
    inside, outside = tmp_path / "site" / "a.png", tmp_path / "elsewhere" / "a.png"
    for file in (inside, outside):
        file.parent.mkdir()
        file.write_bytes(b"x")
    saved = [Saved(Target("krea", KREA_ID, url, "a"), p, 1, None) for p in (inside, outside)]
    with jobctl.Client(providers={}, env={}) as client:
        page = client.gallery([job], tmp_path / "site" / "g.html", downloads=saved)
    assert media(read_page(page).cards[0])[1] == ("img", "a.png")


# --- safety -----------------------------------------------------------------------------------


def hostile_job(sim: Simulator, job_id: str = SECOND_KREA) -> None:
    """A krea job whose every field a page shows is an attack."""
    fields = {
        "type": HANDLER,
        "error": {"code": SCRIPT, "message": f"bad {HANDLER} {SCRIPT}"},
        "result": {"urls": [JS_URL, DATA_URL, BREAKOUT_URL, f" {JS_URL}"], "style_id": SCRIPT},
    }
    sim.add_job("krea", job_id, [Step(SCRIPT, fields=fields)], created=NOW)


def test_hostile_provider_text_is_escaped_and_only_http_urls_and_relative_paths_are_linked(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    hostile_job(sim)
    page = tmp_path / "g.html"
    assert jobctl("gallery", f"krea:{SECOND_KREA}", "-o", str(page)).code == 0
    shown = read_page(page)
    assert [tag for tag, _ in shown.elements].count("script") == 1  # the page's own
    for tag, attrs in shown.elements:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                assert re.match(r"https?://", attrs[name] or "") or tag == "link", (tag, attrs)
    [text] = shown.card_texts()
    for hostile in (SCRIPT, HANDLER, JS_URL, DATA_URL):
        assert hostile in text
    assert f"{JS_URL} (not an http(s) URL; not linked)" in text
    assert f"{DATA_URL} (not an http(s) URL; not linked)" in text
    assert [src for tag, src in media(shown.cards[0]) if tag == "img"] == [BREAKOUT_URL]


def test_a_key_a_provider_echoes_back_is_not_in_the_page(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    key = sim.keys["krea"]["api_key"]
    sim.add_job("krea", KREA_ID, [Step("failed", fields={"error": f"bad key {key}"})])
    page = tmp_path / "g.html"
    assert jobctl("gallery", f"krea:{KREA_ID}", "-o", str(page)).code == 0
    assert key not in page.read_text()
    assert read_page(page).card_texts()[0].endswith(" error bad key ***")


def test_the_page_loads_nothing_itself_and_its_policy_lets_only_its_own_style_and_script_run(
    tmp_path: Path,
) -> None:
    job = Job("krea", KREA_ID, Status.SUCCEEDED, "completed", outputs=("https://cdn.test/a.png",))
    shown = _page_of([job], tmp_path)
    assert not [t for t, a in shown.elements if t in ("link", "iframe", "object", "embed", "base", "form")]
    assert not [a for t, a in shown.elements if t == "script" and "src" in a]
    [policy] = [a["content"] for t, a in shown.elements if a.get("http-equiv") == "Content-Security-Policy"]
    [style], [script] = shown.inline["style"], shown.inline["script"]

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert policy == (
        f"default-src 'none'; style-src {digest(style)}; script-src {digest(script)}; "
        "img-src 'self' http: https:; media-src 'self' http: https:; base-uri 'none'; form-action 'none'"
    )


# --- the library ------------------------------------------------------------------------------


def test_client_gallery_fetches_refs_and_takes_jobs_and_errors_as_they_are(
    sim: Simulator, tmp_path: Path, clock: Any
) -> None:
    krea_done(sim, KREA_ID)
    gone = NotFoundError("krea:gone: job not found (HTTP 404)")
    gone.ref = ("krea", "gone")
    ready = Job("gepetto", GEPETTO_ID, Status.QUEUED, "pending")
    with jobctl.Client(providers=sim.profile(), env={}, clock=clock) as client:
        page = client.gallery([f"krea:{KREA_ID}", ready, gone, "aisquare:0"], tmp_path / "g.html")
    assert page == tmp_path / "g.html"
    assert [t.split()[:4] for t in read_page(page).card_texts()] == [
        ["krea", KREA_ID, "succeeded", "(completed)"],  # fetched: it has times, the others none
        ["gepetto", GEPETTO_ID, "queued", "(pending)"],
        ["krea", "gone", "could", "not"],
        ["?", "?", "could", "not"],
    ]


def test_client_gallery_offline_needs_a_journal_and_checks_the_path_first(tmp_path: Path) -> None:
    with jobctl.Client(providers={}, env={}) as client:
        with pytest.raises(jobctl.UsageError, match="offline=True reads the job journal"):
            client.gallery(["krea:a"], tmp_path / "g.html", offline=True)
        with pytest.raises(jobctl.UsageError, match="it is a directory") as info:
            client.gallery(["krea:a"], tmp_path, offline=True)
    assert info.value.exit_code == 2


def test_jobctl_gallery_uses_the_default_client_and_returns_the_path(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    from jobctl import client as client_module

    krea_done(sim, KREA_ID)
    monkeypatch.setattr(
        client_module, "_default", jobctl.Client(providers=sim.profile(), env={}, clock=clock)
    )
    monkeypatch.chdir(tmp_path)
    assert jobctl.gallery(f"krea:{KREA_ID}") == tmp_path / "jobctl-gallery.html"
    assert read_page(tmp_path / "jobctl-gallery.html").card_texts()[0].startswith(f"krea {KREA_ID} succeeded")


# --- watch --gallery and --open -----------------------------------------------------------------


def test_watch_gallery_writes_the_page_when_the_watch_ends_with_the_downloaded_files(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    sim.add_job(
        "krea",
        KREA_ID,
        [
            Step("processing", requests=2),
            Step("completed", fields={"result": {"urls": [served_picture(sim, "k.png")]}}),
        ],
    )
    sim.add_job("krea", SECOND_KREA, ["failed"])
    out = tmp_path / "out"
    result = jobctl(
        "watch", f"krea:{KREA_ID}", f"krea:{SECOND_KREA}", "krea:gone", "--until-done", "--no-track",
        "--download", str(out), "--gallery", str(out / "index.html"), "--interval", "0.05",
    )  # fmt: skip
    assert result.code == 4
    assert result.err_lines[-2:] == [
        f"gallery: {out / 'index.html'}",
        "error: krea:gone: job not found (HTTP 404): Job not found",
    ]
    shown = read_page(out / "index.html")
    assert sorted(c["classes"][1] for c in shown.cards) == ["st-error", "st-failed", "st-succeeded"]
    name = f"krea-{KREA_ID}.png"
    assert media(shown.card("krea", KREA_ID)) == [("a", name), ("img", name), ("a", name)]


def test_watch_gallery_is_written_when_the_timeout_ends_the_watch_too(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    page = tmp_path / "g.html"
    result = jobctl("watch", f"krea:{KREA_ID}", "--timeout", "5", "--gallery", str(page), "--interval", "0.5")
    assert result.code == 124
    assert result.err_lines[0] == f"gallery: {page}"
    assert read_page(page).card_texts()[0].startswith(f"krea {KREA_ID} running (processing) created ")


def test_watch_gallery_needs_a_watch_that_ends(sim: Simulator, config_file: Path, jobctl: Any) -> None:
    result = jobctl("watch", f"krea:{KREA_ID}", "--gallery", "g.html")
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        "error: --gallery writes the page when the watch ends: add --until-done (or --timeout)"
    ]
    assert sim.requests == []


def test_watch_gallery_that_cannot_be_written_exits_2_before_anything_is_sent(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    result = jobctl("watch", f"krea:{KREA_ID}", "--until-done", "--gallery", str(tmp_path))
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        f"error: cannot write the gallery to {tmp_path}: it is a directory; choose another file"
    ]
    assert sim.requests == []


def test_open_hands_the_page_to_the_desktops_browser(
    sim: Simulator, config_file: Path, tmp_path: Path
) -> None:
    krea_done(sim, KREA_ID)
    seen = tmp_path / "opened"
    opener = tmp_path / "browser.sh"
    opener.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {seen}\n')
    opener.chmod(0o755)
    page = tmp_path / "g.html"
    proc = run_process(
        "gallery", f"krea:{KREA_ID}", "-o", str(page), "--open", env={"BROWSER": f"{opener} %s"}
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"{page}\n", "")
    assert seen.read_text() == page.as_uri()


def test_open_without_a_browser_is_a_note_and_no_error(
    sim: Simulator, config_file: Path, tmp_path: Path
) -> None:
    krea_done(sim, KREA_ID)
    page = tmp_path / "g.html"
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "BROWSER": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    proc = run_process("gallery", f"krea:{KREA_ID}", "-o", str(page), "--open", env=env)
    assert (proc.returncode, proc.stdout) == (0, f"{page}\n")
    assert proc.stderr == "no browser to open it with here; open the file above in one\n"


# --- in a real browser ----------------------------------------------------------------------------

# Runs before the page (see browser.with_probe): records CSP violations from the start,
# then, once everything loaded, what a person would see, and what the filters do.
PROBE = """
const violations = [];
document.addEventListener("securitypolicyviolation",
  e => violations.push(e.violatedDirective + " " + e.blockedURI));
addEventListener("load", () => setTimeout(() => {
  const cards = [...document.querySelectorAll("main .card")];
  const visible = () => cards.filter(c => c.offsetParent !== null)
    .map(c => c.querySelector(".id").textContent);
  const label = text => [...document.querySelectorAll(".filters label")]
    .find(l => l.textContent.startsWith(text + " "));
  const pick = text => { label(text).click();  // as a person would: the label, not the hidden radio
    return {visible: visible(), shown: document.getElementById("shown").textContent}; };
  const found = {
    pwned: window.pwned === undefined ? null : String(window.pwned),
    violations,
    scripts: document.scripts.length,
    handlers: document.querySelectorAll("[onerror], [onload], [onclick]").length,
    cards: cards.map(c => [c.className, c.querySelector(".id").textContent]),
    texts: cards.map(c => c.textContent),
    images: [...document.images].map(i => [i.getAttribute("src"), i.complete, i.naturalWidth]),
    columns: getComputedStyle(document.querySelector("main")).gridTemplateColumns.split(" ").length,
    title: document.title,
  };
  found.failed = pick("failed");
  found.gepettoFailed = pick("gepetto");  // and failed still: both filters at once
  found.gepetto = pick("all");  // the first "all": every status
  found.everything = (document.getElementById("f-pv-all").click(), pick("all"));
  report(found);
}, 100));
"""


@pytest.fixture
def batch_page(sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path) -> Path:
    """A downloaded batch and a page of it: two pictures, a failed job, a job whose every
    field is hostile, and a ref the provider does not know."""
    browser.chromium()  # skip before doing the work
    krea_done(sim, KREA_ID, served_picture(sim, "k.png"), created=NOW - timedelta(minutes=2))
    sim.add_job(
        "gepetto", GEPETTO_ID,
        [Step("success", fields={"output": served_picture(sim, "gepetto/g.jpg")})],
        created=NOW - timedelta(minutes=1),
    )  # fmt: skip
    sim.add_job(
        "gepetto",
        "gp_failed",
        [Step("failed", fields={"error": "Room too dark"})],
        created=NOW - timedelta(seconds=30),
    )
    hostile_job(sim)
    out = tmp_path / "out"
    assert jobctl("download", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}", "-d", str(out)).code == 0
    refs = [
        f"krea:{KREA_ID}",
        f"gepetto:{GEPETTO_ID}",
        "gepetto:gp_failed",
        f"krea:{SECOND_KREA}",
        "krea:gone",
    ]
    result = jobctl("gallery", *refs, "-o", str(out / "index.html"))
    assert result.code == 4, result.err
    return out / "index.html"


def test_in_chromium_every_card_shows_hostile_text_stays_text_and_local_thumbnails_load(
    batch_page: Path,
) -> None:
    found = browser.probe(batch_page, PROBE)
    assert (found["pwned"], found["violations"], found["handlers"]) == (None, [], 0)
    assert found["scripts"] == 2  # the probe's and the page's own
    assert found["title"] == "jobctl gallery: 5 jobs"
    assert found["cards"] == [
        ["card st-unknown pv-1", SECOND_KREA],
        ["card st-failed pv-0", "gp_failed"],
        ["card st-succeeded pv-0", GEPETTO_ID],
        ["card st-succeeded pv-1", KREA_ID],
        ["card st-error pv-1", "gone"],
    ]
    hostile = found["texts"][0]
    for text in (SCRIPT, HANDLER, JS_URL, DATA_URL):
        assert text in hostile
    assert found["images"] == [
        [BREAKOUT_URL, True, 0],  # a URL that leads nowhere: shown, loads nothing, runs nothing
        [f"gepetto-{GEPETTO_ID}.jpg", True, 480],
        [f"krea-{KREA_ID}.png", True, 480],
    ]
    assert found["columns"] == 3


def test_in_chromium_the_filters_show_the_cards_of_a_status_and_a_provider(batch_page: Path) -> None:
    found = browser.probe(batch_page, PROBE)
    assert found["failed"] == {"visible": ["gp_failed"], "shown": "showing 1 of 5"}
    assert found["gepettoFailed"] == {"visible": ["gp_failed"], "shown": "showing 1 of 5"}
    assert found["gepetto"] == {"visible": ["gp_failed", GEPETTO_ID], "shown": "showing 2 of 5"}
    assert found["everything"]["shown"] == ""
    assert len(found["everything"]["visible"]) == 5


def test_in_chromium_the_page_is_one_column_on_a_phone_and_screenshots_are_taken(
    batch_page: Path, tmp_path: Path
) -> None:
    assert (
        browser.probe(batch_page, PROBE, width=500, height=2000)["columns"] == 1
    )  # Chromium's narrowest window
    for width, height in ((1280, 900), (390, 844)):
        shot = browser.screenshot(batch_page, tmp_path / f"gallery-{width}.png", width, height)
        assert browser.png_size(shot) == (width, height)
        assert shot.stat().st_size > 10_000  # a page was drawn, not a blank


# --- the demo ---------------------------------------------------------------------------------


def demo_page(jobctl: Any, demo_tmp: Path) -> tuple[list[str], Path]:
    result = jobctl("demo", "--speed", "0.05")
    assert result.code == 0, result.err
    [folder] = demo_tmp.iterdir()
    return result.lines, folder / "gallery.html"


def test_the_demo_ends_by_writing_a_gallery_of_its_jobs_beside_the_files_it_downloaded(
    jobctl: Any, demo_tmp: Path
) -> None:
    lines, page = demo_page(jobctl, demo_tmp)
    assert lines[-6:] == [
        f"$ jobctl gallery krea:{KREA_ID} ... \\",
        f"    -o {page}",
        str(page),
        "",
        "Open it in a browser: a card per job, the files above shown from their folder",
        "(the folder stays for the page; remove it when you are done).",
    ]
    shown = read_page(page)
    assert " ".join(shown.summary.split()) == "8 jobs · 5 succeeded · 2 failed · 1 cancelled"
    assert media(shown.card("krea", KREA_ID))[:2] == [
        ("a", f"krea-{KREA_ID}.png"),
        ("img", f"krea-{KREA_ID}.png"),
    ]
    assert media(shown.card("gepetto", GEPETTO_ID))[1] == ("img", f"gepetto-{GEPETTO_ID}.jpg")
    assert media(shown.card("creatify", CREATIFY_ID))[0] == ("video", f"creatify-{CREATIFY_ID}.mp4")


def test_in_chromium_the_demos_gallery_shows_its_pictures_once_the_demo_is_over(
    jobctl: Any, demo_tmp: Path
) -> None:
    browser.chromium()
    _, page = demo_page(jobctl, demo_tmp)
    found = browser.probe(page, PROBE)
    assert (found["pwned"], found["violations"], len(found["cards"])) == (None, [], 8)
    assert found["images"] == [
        [f"krea-{KREA_ID}.png", True, 480],
        [f"gepetto-{GEPETTO_ID}.jpg", True, 480],
    ]


def test_the_page_is_never_written_through_a_link_planted_beside_it(tmp_path: Path) -> None:
    from jobctl._gallery import write_page

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for pid_guess in range(os.getpid() - 2, os.getpid() + 3):  # the old name was predictable
        (tmp_path / f".page.html.{pid_guess}.part").symlink_to(victim)
    write_page(tmp_path / "page.html", "<p>page</p>")
    assert victim.read_text() == "keep me"
    assert (tmp_path / "page.html").read_text() == "<p>page</p>"
    assert (tmp_path / "page.html").stat().st_mode & 0o077 == 0


def test_offline_with_no_track_is_one_usage_error_before_anything_is_sent(
    sim: Simulator, config_file: Path, jobctl: Any, tmp_path: Path
) -> None:
    result = jobctl("gallery", f"krea:{KREA_ID}", "--offline", "--no-track", "-o", str(tmp_path / "p.html"))
    assert (result.code, result.out) == (2, "")
    assert result.err_lines == [
        "error: --offline reads the job journal, which --no-track (or JOBCTL_NO_TRACK) turns off"
    ]
    assert sim.requests == [] and not (tmp_path / "p.html").exists()
