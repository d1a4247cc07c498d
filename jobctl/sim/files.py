"""Output files the simulator serves under ``/files/NAME``, for downloads.

Bytes are deterministic (a 64 KiB block derived from the name and ``version``, repeated),
so a test knows every byte and checksum without storing the file; replacing a file at
the same URL is a new ``version`` (new bytes, a new ETag and Last-Modified). A file may
start with ``lead`` bytes instead (``picture()``: a real PNG, so a page that shows the
sample images has something to show). ``Range`` requests get 206, and ``If-Range`` is
honoured unless ``honours_if_range`` is off; a per-connection ``rate`` paces the body;
faults replace the answer for the first
``faults`` requests (``None``: every request).
"""

from __future__ import annotations

import hashlib
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Protocol

BLOCK = 64 * 1024
CHUNK = 256 * 1024
# short:    announce the whole length, send ``fault_at`` bytes, close cleanly
# reset:    send ``fault_at`` bytes, then reset the connection (RST)
# html:     200 with an HTML error page, as a CDN does for an expired link
# redirect: 302 to ``redirect`` (another simulator's /files/NAME, say)
# no-range: ignore Range and send the whole file with 200
# status:   answer ``status`` with a short body
# no-length: no Content-Length; the body ends when the connection closes
FAULTS = ("short", "reset", "html", "redirect", "no-range", "status", "no-length")
HTML_PAGE = b"<!doctype html><html><body><h1>Link expired</h1><p>Request a new one.</p></body></html>"
RESET_GRACE = 0.5  # seconds between the last byte and the reset
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
FIRST_MODIFIED = 1_767_225_600  # 2026-01-01T00:00:00Z: version 0's Last-Modified; each later one is a day on


@dataclass
class SimFile:
    name: str
    size: int
    content_type: str | None = "application/octet-stream"
    rate: float | None = None  # bytes per second per connection; None: as fast as possible
    fault: str | None = None
    fault_at: int = 0
    faults: int | None = 1
    redirect: str | None = None
    status: int = 500
    version: int = 0  # another version is other bytes at the same URL
    sends_etag: bool = True
    sends_last_modified: bool = True
    honours_if_range: bool = True  # False: a server that ignores If-Range and sends the range anyway
    lead: bytes = b""  # the block's first bytes (then the name's pattern): a picture, say
    requests: int = 0  # requests answered so far

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; one of {', '.join(FAULTS)}")
        if len(self.lead) > BLOCK:
            raise ValueError(f"lead is {len(self.lead)} bytes; at most {BLOCK}")
        seed = self.name if not self.version else f"{self.name}\0{self.version}"
        pattern = hashlib.shake_256(seed.encode()).digest(BLOCK)
        self.block = self.lead + pattern[len(self.lead) :]
        # A tile one chunk longer than the block: any window of up to CHUNK bytes
        # starting anywhere in the block is one contiguous slice.
        self.tile = memoryview(self.block * (CHUNK // BLOCK + 1))

    def chunks(self, start: int, end: int, size: int = CHUNK) -> Iterator[memoryview]:
        """The bytes [start, end) in slices of at most ``size`` (<= CHUNK) bytes."""
        pos = start
        while pos < end:
            n = min(size, end - pos)
            at = pos % BLOCK
            yield self.tile[at : at + n]
            pos += n

    def content(self, start: int = 0, end: int | None = None) -> bytes:
        return b"".join(bytes(c) for c in self.chunks(start, self.size if end is None else end))

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks(0, self.size):
            digest.update(chunk)
        return digest.hexdigest()

    @property
    def etag(self) -> str:
        return f'"{self.block[:8].hex()}-{self.size}"'

    @property
    def last_modified(self) -> str:
        return formatdate(FIRST_MODIFIED + 86400 * self.version, usegmt=True)

    def validators(self) -> dict[str, str]:
        """The ETag and Last-Modified headers this file is served with (those it sends)."""
        headers = {"ETag": self.etag} if self.sends_etag else {}
        if self.sends_last_modified:
            headers["Last-Modified"] = self.last_modified
        return headers

    def if_range_holds(self, value: str | None) -> bool:
        """Whether a request's ``If-Range`` lets its ``Range`` apply: absent, or naming
        this version exactly (a strong ETag, or the Last-Modified date)."""
        if value is None or not self.honours_if_range:
            return True
        value = value.strip()
        if value.startswith('"'):
            return self.sends_etag and value == self.etag
        return self.sends_last_modified and value == self.last_modified

    def take_fault(self) -> str | None:
        """The fault for the request being answered now (and count the request)."""
        self.requests += 1
        if self.fault is None or (self.faults is not None and self.requests > self.faults):
            return None
        return self.fault


def picture(name: str, width: int = 480, height: int = 300) -> bytes:
    """A PNG of soft circles on a gradient, its colours taken from ``name``: what an
    image output looks like in a browser (bytes after its end are ignored by viewers,
    and they sniff the format, so it serves as a ``.jpg`` too)."""
    seed = hashlib.shake_256(name.encode()).digest(32)
    top, bottom = seed[0:3], seed[3:6]
    ramps: dict[int, bytes] = {}  # a channel's row, by its shade at the left edge
    rows = []
    for y in range(height):
        row = bytearray(3 * width)
        for c in range(3):
            shade = (top[c] * (height - y) + bottom[c] * y) // height
            if shade not in ramps:
                ramps[shade] = bytes(min(255, shade + x * 48 // width) for x in range(width))
            row[c::3] = ramps[shade]
        rows.append(row)
    lighter = bytes((v + 255) // 2 for v in range(256))
    for n in range(4):  # circles, lighter than what is under them
        cx, cy = seed[8 + n] * width // 256, seed[12 + n] * height // 256
        radius = height // 12 + seed[16 + n] * height // 1024
        for y in range(max(0, cy - radius), min(height, cy + radius)):
            half = int((radius * radius - (y - cy) ** 2) ** 0.5)
            start, end = 3 * max(0, cx - half), 3 * min(width, cx + half)
            rows[y][start:end] = rows[y][start:end].translate(lighter)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    data = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + data


def requested_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(start, end) for a satisfiable single range, None for no/ignored Range, False for 416."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # several ranges or a form we do not serve: the whole file
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size
    else:
        start = int(first)
        end = min(size, int(last) + 1) if last else size
    if start >= size or start >= end:
        return False
    return start, end


class Shelf(Protocol):
    """What serving a file needs of the simulator: its files, the lock over them, and
    the event that cuts a paced or held answer short (on stop and reset)."""

    files: dict[str, SimFile]
    lock: threading.Lock
    release: threading.Event


def serve(sim: Shelf, handler: BaseHTTPRequestHandler, name: str) -> None:
    """Answer GET /files/NAME on ``handler``'s connection."""
    with sim.lock:
        file = sim.files.get(name)
        fault = file.take_fault() if file is not None else None
    if file is None:
        return _send_small(handler, 404, "text/plain", b"no such file\n")
    if fault == "redirect":
        handler.send_response(302)
        handler.send_header("Location", file.redirect or "/")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return None
    if fault == "html":
        return _send_small(handler, 200, "text/html; charset=utf-8", HTML_PAGE)
    if fault == "status":
        return _send_small(handler, file.status, "text/plain", b"simulated failure\n")
    # A failed If-Range means "send me the whole (new) file": the Range is ignored (RFC 9110 13.1.5).
    ignore_range = fault in ("no-range", "no-length") or not file.if_range_holds(
        handler.headers.get("If-Range")
    )
    wanted = None if ignore_range else requested_range(handler.headers.get("Range"), file.size)
    if wanted is False:
        handler.send_response(416)
        handler.send_header("Content-Range", f"bytes */{file.size}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return None
    start, end = wanted if isinstance(wanted, tuple) else (0, file.size)
    handler.send_response(206 if isinstance(wanted, tuple) else 200)
    if file.content_type:
        handler.send_header("Content-Type", file.content_type)
    handler.send_header("Accept-Ranges", "bytes")
    for header, value in file.validators().items():
        handler.send_header(header, value)
    if isinstance(wanted, tuple):
        handler.send_header("Content-Range", f"bytes {start}-{end - 1}/{file.size}")
    if fault == "no-length":
        handler.send_header("Connection", "close")
        handler.close_connection = True
    else:
        handler.send_header("Content-Length", str(end - start))
    handler.end_headers()
    stop = end if fault not in ("short", "reset") else min(end, start + file.fault_at)
    if not _send_body(sim, handler, file, start, stop):
        return None
    if fault == "reset":
        # Give the client time to read what was sent: a reset discards unread bytes.
        sim.release.wait(RESET_GRACE)
        _reset(handler)
    elif fault == "short":
        handler.close_connection = True
    return None


def _send_body(sim: Shelf, handler: BaseHTTPRequestHandler, file: SimFile, start: int, end: int) -> bool:
    # Pace in slices of about a twentieth of a second, so a rate reads as smooth progress.
    size = CHUNK if not file.rate else max(1024, min(CHUNK, int(file.rate / 20)))
    began = time.monotonic()
    sent = 0
    try:
        for chunk in file.chunks(start, end, size):
            handler.wfile.write(chunk)
            sent += len(chunk)
            if file.rate:
                ahead = sent / file.rate - (time.monotonic() - began)
                if ahead > 0 and sim.release.wait(ahead):
                    return False
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True
        return False
    return True


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close with RST rather than FIN: what a dropped connection looks like to the client."""
    sock = handler.connection
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
    handler.close_connection = True


def _send_small(handler: BaseHTTPRequestHandler, code: int, kind: str, body: bytes) -> None:
    handler.send_response(code)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
