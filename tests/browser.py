"""A real headless Chromium for the gallery's tests: the DOM after scripts ran, with a
probe script's findings in it, and screenshots.

Chromium is Debian's ``chromium`` (``.ci/run`` installs it); where it is missing the
tests that need it skip and say so. Each run gets a fresh profile, no network beyond
loopback, and a hard timeout.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p is not None), None
)
FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container: the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing leaves the machine
)
TIMEOUT = 90  # seconds for one run, start-up included, on a busy two-core machine


def chromium() -> str:
    """The browser's path, or the test skips with the reason."""
    if CHROMIUM is None:
        pytest.skip("no Chromium to render the page in: apt-get install chromium (.ci/run does)")
    return CHROMIUM


def run(page: Path, *flags: str) -> str:
    """Chromium's stdout for ``page`` opened from disk with ``flags``."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="jobctl-chromium-") as profile:
        proc = subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", *flags, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def with_probe(page: Path, script: str) -> Path:
    """A copy of ``page`` beside it (so its relative paths still lead to the files) with
    ``script`` run first: placed before the page's Content-Security-Policy, which then
    still governs everything of the page's own."""
    text = page.read_text(encoding="utf-8")
    marker = '<meta charset="utf-8">\n'
    assert text.count(marker) == 1 and text.index(marker) < 100
    probed = page.with_name(f"probed-{page.name}")
    probed.write_text(text.replace(marker, f"{marker}<script>{script}</script>\n"), encoding="utf-8")
    return probed


def probe(page: Path, script: str, width: int = 1280, height: int = 3000) -> dict[str, Any]:
    """What ``script`` found: it runs before the page, and reports by calling
    ``report(value)``, which puts ``value`` as JSON into the DOM that Chromium dumps."""
    reporter = (
        "function report(value) { const out = document.createElement('pre'); out.id = 'probe';"
        " out.textContent = JSON.stringify(value); document.body.append(out); }\n"
    )
    dom = run(
        with_probe(page, reporter + script),
        f"--window-size={width},{height}",
        "--virtual-time-budget=10000",  # lets local files load and the probe finish
        "--dump-dom",
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
    assert found, f"the probe reported nothing:\n{dom[-3000:]}"
    value: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return value


def screenshot(page: Path, out: Path, width: int, height: int) -> Path:
    """``page`` as it looks in a ``width`` x ``height`` viewport, as a PNG at ``out``."""
    run(page, f"--window-size={width},{height}", "--virtual-time-budget=5000", f"--screenshot={out}")
    return out


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
