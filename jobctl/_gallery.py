"""The gallery: one self-contained HTML page of jobs, their errors and their outputs.

``Client.gallery`` writes it; ``jobctl gallery``, ``watch --gallery`` and the demo
call that. The page needs nothing but itself: its CSS and a few lines of script are
inline (the filters are CSS and work without the script), no font, no CDN.

Nothing a provider sends can run in it. Every value is escaped text; only http(s) URLs
and the relative paths of downloaded files are linked or embedded (a ``javascript:``
or ``data:`` output is shown as text); and the page's Content-Security-Policy lets its
own style and script run (by hash) and nothing else, with images and media only from
http(s) and the page's own folder.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from jobctl._dirs import expand_user
from jobctl._text import clean, one_line
from jobctl._units import format_duration
from jobctl._version import __version__
from jobctl.errors import JobctlError, UsageError
from jobctl.model import Job, Status

IMAGE = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".svg"})
VIDEO = frozenset({".mp4", ".webm", ".mov", ".m4v", ".ogv"})
AUDIO = frozenset({".mp3", ".wav", ".ogg", ".oga", ".m4a", ".aac", ".flac", ".opus"})
ERROR = "error"  # the status of a card whose ref could not be read
STATUSES = ("succeeded", "failed", "cancelled", "running", "queued", "unknown", ERROR)  # filter order

# (provider, id, output URL) -> the downloaded file
Files = Mapping[tuple[str, str, str], Path]


@dataclass(frozen=True)
class Card:
    """One job's card: its state, or the error that stood in the way of reading it."""

    provider: str
    id: str
    job: Job | None = None
    error: JobctlError | None = None

    @property
    def status(self) -> str:
        return self.job.status.value if self.job is not None else ERROR

    @classmethod
    def of(cls, item: Job | JobctlError) -> Card:
        if isinstance(item, Job):
            return cls(item.provider, item.id, job=item)
        provider, job_id = item.ref or ("", "")
        return cls(provider, job_id, error=item)


def page_path(path: str | os.PathLike[str], env: Mapping[str, str]) -> Path:
    """Where the page goes (``~`` is ``env``'s HOME), made absolute; UsageError (exit 2)
    when it cannot be written there, before anything is fetched. Missing folders are
    created when it is written."""
    target = Path(os.path.abspath(expand_user(path, env)))
    shown = os.fspath(path)

    def refuse(reason: str) -> UsageError:
        return UsageError(f"cannot write the gallery to {shown}: {reason}; choose another file")

    if target.is_dir():
        raise refuse("it is a directory")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise refuse(f"{folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise refuse(f"{folder} is not writable")
    return target


def write_page(target: Path, text: str) -> None:
    """The page at ``target`` in one piece: written beside it into a file of its own
    (made new, so no link planted in a shared folder can redirect it), then renamed
    over it. It is its user's alone (0600), as the journal is: it holds the same output
    URLs, which may carry access tokens."""
    import tempfile

    part: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        part = Path(name)
        # A lone surrogate from a provider's JSON cannot be UTF-8: it is written as '?'.
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as out:
            out.write(text)
        os.replace(part, target)
    except OSError as exc:
        if part is not None:
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
        raise UsageError(
            f"cannot write the gallery to {target}: {exc.strerror or exc}; choose another file"
        ) from None


def local_files(
    downloads: Iterable[tuple[str, str, str, str | os.PathLike[str]]], folder: Path
) -> dict[tuple[str, str, str], Path]:
    """Each output's downloaded file that still exists: (provider, id, url, path) rows,
    later ones winning, and a file inside the page's ``folder`` over one outside it."""
    chosen: dict[tuple[str, str, str], Path] = {}
    for provider, job_id, url, path in downloads:
        file = Path(os.path.abspath(path))
        if not file.is_file():
            continue
        key = (provider, job_id, url)
        if key in chosen and _inside(chosen[key], folder) and not _inside(file, folder):
            continue
        chosen[key] = file
    return chosen


def _inside(file: Path, folder: Path) -> bool:
    return folder in file.parents


# --- the page ----------------------------------------------------------------------------


def render(cards: Sequence[Card], folder: Path, files: Files, written: datetime) -> str:
    """The whole page for ``cards``, newest job first; ``files`` are shown from their
    paths relative to ``folder`` (where the page is), everything else from its URL."""
    ordered = sorted(cards, key=_newest_first)
    providers = sorted({c.provider for c in ordered})
    statuses = [s for s in STATUSES if any(c.status == s for c in ordered)]
    style = _style(statuses, len(providers))
    counts = {s: sum(1 for c in ordered if c.status == s) for s in statuses}
    total = f"{len(ordered)} job{'' if len(ordered) == 1 else 's'}"
    tallies = [
        f'<span class="st-{s}"><b>{counts[s]}</b> {_status_word(s, counts[s])}</span>' for s in statuses
    ]
    summary = " · ".join([total, *tallies])
    csp = (
        f"default-src 'none'; style-src '{_sha256(style)}'; script-src '{_sha256(SCRIPT)}'; "
        "img-src 'self' http: https:; media-src 'self' http: https:; base-uri 'none'; form-action 'none'"
    )
    head = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="jobctl {__version__}">\n'
        f"<title>jobctl gallery: {total}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        f'<header><h1>jobctl gallery</h1><p class="summary">{summary}</p></header>\n'
    )
    inputs = [_radio("st", "all", checked=True), *(_radio("st", s) for s in statuses)]
    inputs += [_radio("pv", "all", checked=True), *(_radio("pv", str(n)) for n in range(len(providers)))]
    status_labels = [_label("st", "all", "all", len(ordered))]
    status_labels += [_label("st", s, s, counts[s]) for s in statuses]
    provider_labels = [_label("pv", "all", "all", len(ordered))]
    for n, name in enumerate(providers):
        provider_labels.append(
            _label("pv", str(n), name or "?", sum(1 for c in ordered if c.provider == name))
        )
    filters = (
        '<nav class="filters" aria-label="Filters">\n'
        f'<div><span class="dim">status</span> {" ".join(status_labels)}</div>\n'
        f'<div><span class="dim">provider</span> {" ".join(provider_labels)}</div>\n'
        '<output id="shown" aria-live="polite"></output>\n</nav>\n'
    )
    index = {p: n for n, p in enumerate(providers)}
    body = "\n".join(_card(c, index[c.provider], folder, files, written) for c in ordered)
    foot = (
        f'<footer class="dim">written {_when(written)} by jobctl {__version__}</footer>\n'
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
    return head + "\n".join(inputs) + "\n" + filters + f"<main>\n{body}\n</main>\n" + foot


def _newest_first(card: Card) -> tuple[int, float]:
    job = card.job
    when = job and (job.created_at or job.updated_at or job.finished_at)
    return (0, -when.timestamp()) if when else (1, 0.0)


def _status_word(status: str, count: int) -> str:
    return "errors" if status == ERROR and count != 1 else status


def _radio(group: str, value: str, checked: bool = False) -> str:
    mark = " checked" if checked else ""
    return f'<input class="f" type="radio" name="{group}" id="f-{group}-{value}"{mark}>'


def _label(group: str, value: str, text: str, count: int) -> str:
    return f'<label for="f-{group}-{value}">{_text(text)} <b>{count}</b></label>'


def _card(card: Card, provider: int, folder: Path, files: Files, written: datetime) -> str:
    job = card.job
    title = (
        f'<h2><span class="pv">{_text(card.provider or "?")}</span> '
        f'<code class="id">{_text(card.id or "?")}</code></h2>'
    )
    if job is None:
        message = card.error.message if card.error is not None else ""
        return (
            f'<article class="card st-{ERROR} pv-{provider}">{title}'
            f'<p><span class="badge">could not be read</span></p>'
            f'<p class="err">{_text(message, 600)}</p></article>'
        )
    word = one_line(job.provider_status, 60)
    said = f' <span class="dim">({_text(word)})</span>' if word and word != job.status.value else ""
    kind = f' · <span class="kind">{_text(job.kind, 80)}</span>' if job.kind else ""
    status = f'<p><span class="badge">{job.status.value}</span>{said}{kind}</p>'
    outputs = "".join(_output(o, files.get((job.provider, job.id, o)), folder) for o in job.outputs)
    rows = _rows(job, written, local=any((job.provider, job.id, o) in files for o in job.outputs))
    details = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return (
        f'<article class="card st-{job.status.value} pv-{provider}">{title}{status}'
        + (f'<div class="outputs">{outputs}</div>' if outputs else "")
        + (f"<dl>{details}</dl>" if details else "")
        + "</article>"
    )


def _rows(job: Job, written: datetime, local: bool) -> list[tuple[str, str]]:
    """(label, HTML) for the card's details, each value escaped here."""
    rows = []
    if job.created_at:
        rows.append(("created", _when(job.created_at)))
    if job.finished_at:
        rows.append(("finished", _when(job.finished_at)))
    if job.duration is not None:
        rows.append(("took", format_duration(job.duration)))
    if job.activity:
        rows.append(("activity", _text(job.activity, 300)))
    if job.error is not None and (job.error.code or job.error.message):
        code = f"<code>{_text(job.error.code, 80)}</code> " if job.error.code else ""
        rows.append(("error", f'<span class="err">{code}{_text(job.error.message or "", 600)}</span>'))
    for name, value in job.results.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        rows.append(("result", f"<code>{_text(str(name), 80)}</code> {_text(shown, 300)}"))
    if not job.outputs and job.status is Status.SUCCEEDED:
        rows.append(("outputs", "none reported"))
    if job.outputs_removed:
        rows.append(("outputs", "removed by the provider"))
    elif job.outputs_expire_at is not None:
        at = job.outputs_expire_at
        when = (
            f"expire {_when(at)} (in {format_duration(at - written)})"
            if at > written
            else f"expired {_when(at)}"
        )
        rows.append(("outputs", when + ("; shown from the downloaded files" if local else "")))
    return rows


def _output(output: str, local: Path | None, folder: Path) -> str:
    """One output: a picture, a player or a link to the file; text when it is no URL."""
    relative = _relative(local, folder) if local is not None else None
    if relative is not None:  # each part percent-encoded: no ':' can make it a scheme
        href = "/".join(quote(part, safe="") for part in relative.parts)
        name, suffix, said = str(relative), relative.suffix.lower(), ' <span class="dim">(downloaded)</span>'
    else:
        url = output.strip()
        if not _is_web_url(url):
            note = "not an http(s) URL; not linked"
            return f'<p class="raw"><code>{_text(output, 300)}</code> <span class="dim">({note})</span></p>'
        path = PurePosixPath(unquote(urlsplit(url).path))
        href, name, suffix, said = url, path.name or urlsplit(url).netloc, path.suffix.lower(), ""
    link = f'<a href="{_attr(href)}" target="_blank" rel="noopener noreferrer">{_text(name, 200)}</a>{said}'
    if suffix in IMAGE:
        media = (
            f'<a class="thumb" href="{_attr(href)}" target="_blank" rel="noopener noreferrer">'
            f'<img src="{_attr(href)}" alt="{_attr(name, 200)}" loading="lazy" decoding="async"></a>'
        )
    elif suffix in VIDEO:
        media = f'<video controls preload="metadata" src="{_attr(href)}"></video>'
    elif suffix in AUDIO:
        media = f'<audio controls preload="none" src="{_attr(href)}"></audio>'
    else:
        media = ""
    return f"<figure>{media}<figcaption>{link}</figcaption></figure>"


def _relative(file: Path, folder: Path) -> PurePosixPath | None:
    try:
        return PurePosixPath(*Path(os.path.relpath(file, folder)).parts)
    except ValueError:  # another drive (Windows): no relative path leads there
        return None


def _is_web_url(url: str) -> bool:
    """An http(s) URL with a host and nothing a browser would strip or read differently."""
    if not url.lower().startswith(("http://", "https://")) or any(c.isspace() or ord(c) < 32 for c in url):
        return False
    try:
        return bool(urlsplit(url).netloc)
    except ValueError:
        return False


def _text(value: str | None, limit: int | None = None) -> str:
    """Provider text as HTML text: no control characters or bidi overrides, escaped."""
    return escape(one_line(value or "", limit), quote=True)


def _attr(value: str, limit: int | None = None) -> str:
    return escape(clean(value)[:limit] if limit else clean(value), quote=True)


def _when(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


# --- style and script ---------------------------------------------------------------------

# The filters are radio buttons before <main>: CSS hides the cards that do not match
# (so they work without script); the script only says how many are shown.
SCRIPT = """
const cards = document.querySelectorAll("main .card"), shown = document.getElementById("shown");
document.addEventListener("change", () => {
  let n = 0;
  for (const card of cards) if (card.offsetParent !== null) n++;
  shown.textContent = n === cards.length ? "" : n ? `showing ${n} of ${cards.length}` : "no job matches";
});
"""

COLOURS = {  # light, dark
    "succeeded": ("#1a7f37", "#3fb950"),
    "failed": ("#cf222e", "#f85149"),
    "cancelled": ("#8250df", "#a371f7"),
    "running": ("#0969da", "#58a6ff"),
    "queued": ("#9a6700", "#d29922"),
    "unknown": ("#9a6700", "#d29922"),
    "error": ("#a40e26", "#ff7b72"),
}

STYLE = """
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--ink:#1f2328;--dim:#59636e;--line:#d1d9e0;LIGHT}
@media (prefers-color-scheme:dark){
:root{--bg:#0d1117;--card:#161b22;--ink:#e6edf3;--dim:#9198a1;--line:#3d444d;DARK}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1600px;padding:16px;background:var(--bg);color:var(--ink);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.25rem;margin:0 0 4px}
.summary{margin:0 0 12px}
.summary span{color:var(--c);white-space:nowrap}
.dim{color:var(--dim)}
.filters{display:flex;flex-wrap:wrap;gap:8px 20px;align-items:center;margin-bottom:16px}
.filters div{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.filters label{border:1px solid var(--line);border-radius:999px;padding:1px 10px;background:var(--card);
cursor:pointer}
.filters b{font-weight:600;color:var(--dim)}
input.f{position:absolute;opacity:0;width:1px;height:1px;margin:0}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,330px),1fr));gap:16px;align-items:start}
.card{min-width:0;overflow-wrap:anywhere;background:var(--card);border:1px solid var(--line);
border-top:4px solid var(--c);border-radius:8px;padding:10px 12px;
content-visibility:auto;contain-intrinsic-size:auto 300px}
.card h2{font-size:1rem;margin:0;overflow-wrap:anywhere}
.card p{margin:4px 0}
.badge{color:var(--c);font-weight:600}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.id{font-weight:400}
.err{color:var(--c-failed);overflow-wrap:anywhere}
.outputs{display:grid;gap:8px;margin:8px 0}
figure{margin:0;min-width:0}
figcaption{font-size:13px;overflow-wrap:anywhere}
.thumb{display:block}
.outputs img,.outputs video{display:block;width:100%;height:200px;object-fit:cover;border-radius:6px;
background:var(--line)}
.outputs video{object-fit:contain;background:#000}
audio{display:block;width:100%}
.raw{overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px;margin:8px 0 0}
dt{color:var(--dim)}
dd{margin:0;overflow-wrap:anywhere}
a{color:var(--c-running)}
footer{margin-top:16px;font-size:13px}
"""


def _style(statuses: Sequence[str], providers: int) -> str:
    """The page's CSS: the fixed part, each status's colour, and a rule per filter value
    (generated from the statuses and provider numbers only, never from provider text)."""
    light = ";".join(f"--c-{s}:{c[0]}" for s, c in COLOURS.items())
    dark = ";".join(f"--c-{s}:{c[1]}" for s, c in COLOURS.items())
    rules = [STYLE.replace("LIGHT", light).replace("DARK", dark).strip()]
    rules += [f".st-{s}{{--c:var(--c-{s})}}" for s in COLOURS]
    values = [("st", s) for s in statuses] + [("pv", str(n)) for n in range(providers)]
    hide = ",".join(f"#f-{g}-{v}:checked~main .card:not(.{g}-{v})" for g, v in values)
    if hide:
        rules.append(f"{hide}{{display:none}}")
    every = [("st", "all"), ("pv", "all"), *values]
    on = ",".join(f"#f-{g}-{v}:checked~.filters label[for=f-{g}-{v}]" for g, v in every)
    rules.append(f"{on}{{background:var(--ink);color:var(--card);border-color:var(--ink)}}")
    counts = ",".join(f"#f-{g}-{v}:checked~.filters label[for=f-{g}-{v}] b" for g, v in every)
    rules.append(f"{counts}{{color:inherit}}")
    focus = ",".join(f"#f-{g}-{v}:focus-visible~.filters label[for=f-{g}-{v}]" for g, v in every)
    rules.append(f"{focus}{{outline:2px solid var(--c-running);outline-offset:2px}}")
    return "\n" + "\n".join(rules) + "\n"
