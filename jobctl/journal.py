"""The job journal: every ref `get` and `watch` saw, with its last known state.

A small SQLite file in the per-user data dir (WAL, busy timeout) so several
jobctl processes can write at once. A damaged, locked or unwritable journal
costs one warning, never an answer: every method degrades to doing nothing.
It holds whole payloads, output URLs with their access tokens among them, so its
folder and files are its user's alone (0700, 0600).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from jobctl._wording import LIBRARY, Wording
from jobctl.errors import JobctlError, NotFoundError, UsageError
from jobctl.model import Job, JobError, job_from_dict, job_to_dict

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    provider   TEXT NOT NULL,
    id         TEXT NOT NULL,
    status     TEXT NOT NULL,
    done       INTEGER NOT NULL,
    job        TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen  REAL NOT NULL,
    gone       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, id)
)
"""
# What `download` wrote where; one row per file (the newest download of a path wins).
DOWNLOADS_SCHEMA = """
CREATE TABLE IF NOT EXISTS downloads (
    provider TEXT NOT NULL,
    id       TEXT NOT NULL,
    url      TEXT NOT NULL,
    path     TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    sha256   TEXT,
    at       REAL NOT NULL,
    PRIMARY KEY (provider, id, path)
)
"""
# A journal another process holds longer than this is skipped (with one warning):
# tracking must never hold up an answer, or the exit after it.
BUSY_TIMEOUT_MS = 200
UPSERT = (
    "INSERT INTO jobs (provider, id, status, done, job, first_seen, last_seen) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(provider, id) DO UPDATE SET "
    "status = excluded.status, done = excluded.done, job = excluded.job, "
    "last_seen = excluded.last_seen, gone = 0"
)
# A job without a known expiry, as `record` writes it (json.dumps' default separators).
NO_EXPIRY = '%"outputs_expire_at": null%'
# Rows set aside while the journal was busy: never over a state seen later.
UPSERT_IF_NEWER = UPSERT + " WHERE excluded.last_seen >= jobs.last_seen"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def _is_busy(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _same_file(fh: IO[str], path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fh.fileno()), os.stat(path))
    except OSError:
        return False


def _narrow(path: Path, mode: int) -> None:
    """Take from ``path`` every permission ``mode`` does not grant (group and others')."""
    try:
        current = os.stat(path).st_mode & 0o777
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError:
        pass  # gone meanwhile, or not ours to change: the journal works on regardless


def _lock(fh: IO[str]) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: appends are short; go without
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


@dataclass(frozen=True)
class Entry:
    job: Job
    first_seen: float
    last_seen: float
    gone: bool = False  # the provider answered 404 when last asked

    @property
    def shown_job(self) -> Job:
        """The job as `ls` shows it: a gone one says so where its output would be."""
        if not self.gone:
            return self.job
        gone = JobError("not_found", "the provider no longer knows this job (HTTP 404)")
        return replace(self.job, error=gone)


Warn = Callable[[str], None]


class Journal:
    """The journal at ``path`` (the CLI's is ``<data dir>/journal.sqlite3``).

    Opened lazily; on any database trouble it warns once through ``warn`` and carries
    on untracked (the warning says how to stop tracking in ``words``).
    """

    def __init__(self, path: Path, warn: Warn | None = None, words: Wording = LIBRARY) -> None:
        self.path = path
        self._warn = warn
        self._words = words
        self._warned = False
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _complain(self, what: str, exc: BaseException) -> None:
        if not self._warned and self._warn:
            self._warned = True
            self._warn(
                f"job journal {self.path}: {what} ({exc}); results are shown but not tracked "
                f"({self._words.no_track} silences this)"
            )

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._broken:
            return self._db
        try:
            self._make_private()
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
            if "gone" not in columns:  # a journal written before 'gone' existed
                db.execute("ALTER TABLE jobs ADD COLUMN gone INTEGER NOT NULL DEFAULT 0")
            db.execute(DOWNLOADS_SCHEMA)
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                return self._recover(exc)
            self._broken = True
            self._complain("cannot open it", exc)
            return None
        except OSError as exc:
            self._broken = True
            self._complain("cannot create it", exc)
            return None
        self._db = db
        return db

    def _make_private(self) -> None:
        """The folder 0700 and the files 0600 whatever the umask; a journal an older
        jobctl left open to others is narrowed to that when opened."""
        self.path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        if os.name != "posix":
            return
        _narrow(self.path.parent, PRIVATE_DIR)
        # Created here rather than by SQLite, so it is never open to others, not even for
        # a moment; SQLite gives the -wal and -shm files the database's own mode.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        for path in (self.path, self._sibling("-wal"), self._sibling("-shm"), self._aside):
            _narrow(path, PRIVATE_FILE)

    def _sibling(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    def _recover(self, exc: BaseException) -> sqlite3.Connection | None:
        """Move a damaged file aside and start a fresh journal (once)."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
        try:
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                self._sibling(suffix).unlink(missing_ok=True)
        except OSError:
            self._broken = True
            self._complain("it is damaged", exc)
            return None
        if self._warn and not self._warned:
            self._warned = True
            self._warn(f"job journal {self.path} was damaged; moved it to {aside} and started a new one")
        return self._connect()

    def record(self, jobs: Iterable[Job]) -> None:
        rows = [(j.provider, j.id, j.status.value, int(j.done), json.dumps(job_to_dict(j))) for j in jobs]
        if not rows:
            return
        db = self._connect()
        if db is None:
            return
        now = time.time()
        try:
            # Only changed states are written: a script that polls `get` then costs a
            # read, not a write and a checkpoint (an fsync) on every run.
            rows = [r for r in rows if self._stored(db, r[0], r[1]) != r[4]]
            if rows:
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    db.executemany(UPSERT, [(*row, now, now) for row in rows])
                    self._merge_aside(db)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or not self._set_aside(rows, now):
                self._complain("cannot write to it", exc)
        except sqlite3.Error as exc:
            self._complain("cannot write to it", exc)

    # Another process holding the journal longer than the busy timeout must neither
    # delay this one nor lose its rows: they are appended to a side file, and the next
    # process that opens the journal with the write lock free moves them in.

    @property
    def _aside(self) -> Path:
        return self.path.with_name(self.path.name + ".pending")

    def _set_aside(self, rows: list[tuple[str, str, str, int, str]], now: float) -> bool:
        lines = "".join(json.dumps([*row, now]) + "\n" for row in rows)
        try:
            while True:
                fd = os.open(self._aside, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
                with open(fd, "a", encoding="utf-8") as fh:
                    _lock(fh)
                    # A merger may have taken the file between our open and our lock.
                    if _same_file(fh, self._aside):
                        fh.write(lines)
                        return True
        except OSError:
            return False

    def _merge_aside(self, db: sqlite3.Connection) -> None:
        """Move rows set aside into the journal; the caller holds the write lock."""
        if not self._aside.exists():
            return
        taken = self._aside.with_name(f"{self._aside.name}.{os.getpid()}")
        try:
            self._aside.replace(taken)
            with open(taken, encoding="utf-8") as fh:
                _lock(fh)  # waits for a writer still appending
                rows = [json.loads(line) for line in fh if line.strip()]
            db.executemany(UPSERT_IF_NEWER, [(*r[:5], r[5], r[5]) for r in rows if len(r) == 6])
            taken.unlink()
        except (OSError, ValueError, TypeError):
            return  # left for the next writer

    def record_outcomes(self, outcomes: Iterable[Job | JobctlError]) -> None:
        """What a round of requests brought back: each job's new state recorded, and each
        job the provider answered 404 for marked gone."""
        outcomes = list(outcomes)
        self.record(o for o in outcomes if isinstance(o, Job))
        self.mark_gone([o.ref for o in outcomes if isinstance(o, NotFoundError) and o.ref])

    def mark_gone(self, refs: Iterable[tuple[str, str]]) -> None:
        """Tracked jobs the provider answered 404 for: `ls` says so, `watch` skips them."""
        refs = list(refs)
        db = self._connect() if refs else None
        if db is None:
            return
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("UPDATE jobs SET gone = 1 WHERE provider = ? AND id = ?", refs)
        except sqlite3.Error as exc:
            self._complain("cannot write to it", exc)

    @staticmethod
    def _stored(db: sqlite3.Connection, provider: str, job_id: str) -> str | None:
        row = db.execute("SELECT job FROM jobs WHERE provider = ? AND id = ?", (provider, job_id)).fetchone()
        return None if row is None else str(row[0])

    def entries(self, include_done: bool = False, expiring: bool = False) -> list[Entry]:
        """Unfinished jobs, oldest first; ``include_done``: every job; ``expiring``: finished
        ones whose outputs have a known expiry too."""
        db = self._connect()
        if db is None:
            return []
        if self._aside.exists():
            try:
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    self._merge_aside(db)
            except sqlite3.Error:
                pass  # busy: shown once a later run moves them in
        query = "SELECT job, first_seen, last_seen, gone FROM jobs"
        if not include_done:
            # `record` writes the JSON with json.dumps' default separators.
            query += " WHERE done = 0" + (f" OR job NOT LIKE '{NO_EXPIRY}'" if expiring else "")
        try:
            rows = db.execute(query + " ORDER BY first_seen, provider, id").fetchall()
        except sqlite3.Error as exc:
            self._complain("cannot read it", exc)
            return []
        out = []
        for text, first, last, gone in rows:
            try:
                out.append(Entry(job_from_dict(json.loads(text)), first, last, bool(gone)))
            except (ValueError, TypeError):
                continue
        return out

    def last_known(self, refs: Iterable[tuple[str, str]]) -> list[Job | UsageError]:
        """Each ref's last known state, in order (a gone job says so, as ``ls`` shows it),
        or, for a ref the journal does not hold, the error that says so."""
        refs = list(refs)
        wanted = set(refs)
        known = {
            (e.job.provider, e.job.id): e.shown_job
            for e in self.entries(include_done=True)
            if (e.job.provider, e.job.id) in wanted
        }
        return [known.get((p, i)) or _not_held(p, i, self._words) for p, i in refs]

    def record_downloads(self, files: Iterable[dict[str, object]]) -> None:
        """Remember downloaded files: dicts with provider, id, url, path, bytes, sha256 (or None)."""
        keys = ("provider", "id", "url", "path", "bytes", "sha256")
        rows = [tuple(f[k] for k in keys) for f in files]
        db = self._connect() if rows else None
        if db is None:
            return
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    "INSERT OR REPLACE INTO downloads (provider, id, url, path, bytes, sha256, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(*row, time.time()) for row in rows],
                )
        except sqlite3.Error as exc:
            self._complain("cannot write to it", exc)

    def downloads(self) -> dict[tuple[str, str], list[dict[str, object]]]:
        """Downloaded files by (provider, id), oldest first."""
        db = self._connect()
        if db is None:
            return {}
        try:
            rows = db.execute(
                "SELECT provider, id, url, path, bytes, sha256, at FROM downloads ORDER BY at, path"
            ).fetchall()
        except sqlite3.Error as exc:
            self._complain("cannot read it", exc)
            return {}
        found: dict[tuple[str, str], list[dict[str, object]]] = {}
        for provider, job_id, url, path, size, sha, at in rows:
            entry = {"url": url, "path": path, "bytes": size, "sha256": sha, "at": _stamp(at)}
            found.setdefault((provider, job_id), []).append(entry)
        return found

    def forget(self, refs: Iterable[tuple[str, str]] = (), done: bool = False) -> int:
        """Remove the jobs named in ``refs``, or with ``done`` the finished ones (only those
        among ``refs`` when some are named), with their downloads; returns how many."""
        named = list(refs)
        db = self._connect()
        if db is None:
            return 0
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                removed = 0
                if done and not named:
                    removed += db.execute("DELETE FROM jobs WHERE done = 1").rowcount
                only_done = " AND done = 1" if done else ""
                for provider, job_id in named:
                    gone = db.execute(
                        f"DELETE FROM jobs WHERE provider = ? AND id = ?{only_done}", (provider, job_id)
                    ).rowcount
                    if gone or not done:  # an unfinished job named with --done keeps its files
                        db.execute("DELETE FROM downloads WHERE provider = ? AND id = ?", (provider, job_id))
                    removed += gone
                if done and not named:
                    db.execute(
                        "DELETE FROM downloads WHERE NOT EXISTS (SELECT 1 FROM jobs "
                        "WHERE jobs.provider = downloads.provider AND jobs.id = downloads.id)"
                    )
                return removed
        except sqlite3.Error as exc:
            self._complain("cannot write to it", exc)
            return 0

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _not_held(provider: str, job_id: str, words: Wording) -> UsageError:
    error = UsageError(f"{provider}:{job_id}: not in the job journal; fetch it instead ({words.online})")
    error.ref = (provider, job_id)
    return error


def _stamp(at: float) -> str | None:
    from datetime import datetime, timezone

    from jobctl.model import format_timestamp

    return format_timestamp(datetime.fromtimestamp(at, timezone.utc))


class NoJournal(Journal):
    """--no-track: the same interface, touching nothing."""

    def __init__(self) -> None:
        super().__init__(Path(os.devnull))

    def _connect(self) -> sqlite3.Connection | None:
        return None
