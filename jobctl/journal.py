"""The job journal: every ref `get` and `watch` saw, with its last known state.

A small SQLite file in the per-user data dir (WAL, busy timeout) so several
jobctl processes can write at once. A damaged, locked or unwritable journal
costs one warning, never an answer: every method degrades to doing nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

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
# A journal another process holds longer than this is skipped (with one warning):
# tracking must never hold up an answer, or the exit after it.
BUSY_TIMEOUT_MS = 200


def data_dir() -> Path:
    """Per-user data dir: $XDG_DATA_HOME/jobctl, ~/Library/Application Support/jobctl, %LOCALAPPDATA%."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "jobctl"


def tracking_disabled(no_track: bool = False) -> bool:
    return no_track or os.environ.get("JOBCTL_NO_TRACK", "").strip().lower() in ("1", "true", "yes", "on")


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
    """Open lazily; on any database trouble, warn once and carry on untracked."""

    def __init__(self, path: Path | None = None, warn: Warn | None = None) -> None:
        self.path = path or data_dir() / "journal.sqlite3"
        self._warn = warn
        self._warned = False
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _complain(self, what: str, exc: BaseException) -> None:
        if not self._warned and self._warn:
            self._warned = True
            self._warn(
                f"job journal {self.path}: {what} ({exc}); results are shown but not tracked "
                "(--no-track or JOBCTL_NO_TRACK=1 silences this)"
            )

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._broken:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
            if "gone" not in columns:  # a journal written before 'gone' existed
                db.execute("ALTER TABLE jobs ADD COLUMN gone INTEGER NOT NULL DEFAULT 0")
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

    def _recover(self, exc: BaseException) -> sqlite3.Connection | None:
        """Move a damaged file aside and start a fresh journal (once)."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
        try:
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
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
            if not rows:
                return
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    "INSERT INTO jobs (provider, id, status, done, job, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(provider, id) DO UPDATE SET "
                    "status = excluded.status, done = excluded.done, job = excluded.job, "
                    "last_seen = excluded.last_seen, gone = 0",
                    [(*row, now, now) for row in rows],
                )
        except sqlite3.Error as exc:
            self._give_up("cannot write to it", exc)

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
            self._give_up("cannot write to it", exc)

    def _give_up(self, what: str, exc: sqlite3.Error) -> None:
        """One warning; a locked journal is then left alone for the rest of the run."""
        self._complain(what, exc)
        if "locked" in str(exc) or "busy" in str(exc):
            self._broken = True
            self.close()

    @staticmethod
    def _stored(db: sqlite3.Connection, provider: str, job_id: str) -> str | None:
        row = db.execute("SELECT job FROM jobs WHERE provider = ? AND id = ?", (provider, job_id)).fetchone()
        return None if row is None else str(row[0])

    def entries(self, include_done: bool = False) -> list[Entry]:
        db = self._connect()
        if db is None:
            return []
        query = "SELECT job, first_seen, last_seen, gone FROM jobs"
        if not include_done:
            query += " WHERE done = 0"
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

    def forget(self, refs: Iterable[tuple[str, str]] = (), done: bool = False) -> int:
        db = self._connect()
        if db is None:
            return 0
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                removed = 0
                if done:
                    removed += db.execute("DELETE FROM jobs WHERE done = 1").rowcount
                for provider, job_id in refs:
                    removed += db.execute(
                        "DELETE FROM jobs WHERE provider = ? AND id = ?", (provider, job_id)
                    ).rowcount
                return removed
        except sqlite3.Error as exc:
            self._complain("cannot write to it", exc)
            return 0

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class NoJournal(Journal):
    """--no-track: the same interface, touching nothing."""

    def _connect(self) -> sqlite3.Connection | None:
        return None
