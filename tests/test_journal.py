"""The job journal: what get/watch record, ls/forget, and a journal under stress."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import GEPETTO_ID, KREA_ID, journal_path

from jobctl.journal import Journal
from jobctl.model import Job, Status


def test_get_records_each_job_with_its_last_known_state(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing", "completed"])
    jobctl("get", "krea", KREA_ID)
    assert json.loads(jobctl("ls", "--json").out)[0]["status"] == "running"
    jobctl("get", "krea", KREA_ID)
    assert jobctl("ls", "--json").out == "[]\n"
    [entry] = json.loads(jobctl("ls", "--all", "--json").out)
    assert (entry["id"], entry["status"], entry["provider_status"]) == (KREA_ID, "succeeded", "completed")


def test_no_track_flag_and_env_leave_the_journal_alone(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    assert jobctl("get", "krea", KREA_ID, "--no-track").code == 0
    assert jobctl("get", "krea", KREA_ID, env={"JOBCTL_NO_TRACK": "1"}).code == 0
    assert not journal_path().exists()


def test_forget_removes_refs_and_finished_jobs(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    jobctl("get", f"krea:{KREA_ID}", f"gepetto:{GEPETTO_ID}")
    assert jobctl("forget", "--done").out == "forgot 1 job\n"
    assert jobctl("forget", f"krea:{KREA_ID}").out == "forgot 1 job\n"
    assert jobctl("ls", "--all").out == "no tracked jobs\n"
    result = jobctl("forget")
    assert result.code == 2
    assert result.err == "error: say what to forget: refs (jobctl forget krea:ID) or --done\n"


def test_forget_done_with_refs_forgets_only_those_of_them_that_are_done(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["completed"])
    sim.add_job("krea", "running-one", ["processing"])
    sim.add_job("gepetto", GEPETTO_ID, ["success"])
    jobctl("get", f"krea:{KREA_ID}", "krea:running-one", f"gepetto:{GEPETTO_ID}")
    result = jobctl("forget", "--done", f"krea:{KREA_ID}", "krea:running-one")
    assert (result.code, result.out, result.err) == (0, "forgot 1 job\n", "")
    left = json.loads(jobctl("ls", "--all", "--json").out)
    assert sorted(f"{e['provider']}:{e['id']}" for e in left) == [f"gepetto:{GEPETTO_ID}", "krea:running-one"]


def test_forget_help_says_what_done_does_with_refs(jobctl) -> None:
    result = jobctl("forget", "--help")
    assert "with refs: only those of them that" in " ".join(result.out.split())


def test_a_corrupt_journal_is_set_aside_with_one_warning(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    journal_path().parent.mkdir(parents=True)
    journal_path().write_bytes(b"this is not a database" * 100)
    result = jobctl("get", "krea", KREA_ID, "--json")
    assert result.code == 0
    assert json.loads(result.out)["status"] == "running"
    [warning] = result.err_lines
    assert warning.startswith(f"warning: job journal {journal_path()} was damaged; moved it to ")
    assert json.loads(jobctl("ls", "--json").out)[0]["id"] == KREA_ID


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_an_unwritable_data_dir_costs_one_warning_not_the_answer(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    journal_path().parent.mkdir(parents=True)
    journal_path().parent.chmod(0o500)
    try:
        result = jobctl("get", "krea", KREA_ID)
    finally:
        journal_path().parent.chmod(0o700)
    assert result.code == 0
    assert result.lines[1] == "status:      running (processing)"
    assert len(result.err_lines) == 1 and result.err.startswith("warning: job journal")


def test_a_journal_that_cannot_be_created_costs_one_warning(sim, config_file, jobctl, tmp_path) -> None:
    # The data dir's parent is a file: creating the directory fails even for root.
    blocker = tmp_path / "blocked"
    blocker.write_text("")
    sim.add_job("krea", KREA_ID, ["processing"])
    result = jobctl("get", "krea", KREA_ID, env={"XDG_DATA_HOME": str(blocker)})
    assert result.code == 0
    assert result.lines[0] == f"job:         krea:{KREA_ID}"
    [warning] = result.err_lines
    assert warning.startswith(f"warning: job journal {blocker}/jobctl/journal.sqlite3: cannot create it")


def test_a_locked_journal_neither_blocks_the_answer_nor_loses_the_job(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    Journal(journal_path()).record([])  # nothing to write: must not even open
    assert not journal_path().exists()
    holder = Journal(journal_path())
    holder.record([Job("krea", "x", Status.RUNNING, "processing")])
    db = sqlite3.connect(journal_path(), isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        result = jobctl("get", "krea", KREA_ID)
        took = time.monotonic() - started
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert (result.code, result.err) == (0, "")
    assert result.lines[1] == "status:      running (processing)"
    # The journal waits at most 0.2 s for a lock (it used to wait 5 s); generous here,
    # as a shared machine is slow, but far from the old wait.
    assert took < 2.5
    assert [e.job.id for e in Journal(journal_path()).entries()] == ["x", KREA_ID]  # set aside, then moved in


def test_rows_set_aside_never_overwrite_a_state_recorded_later() -> None:
    journal = Journal(journal_path())
    journal.record([Job("krea", "a", Status.RUNNING, "processing")])
    journal._set_aside([("krea", "a", "queued", 0, json.dumps({"provider": "krea", "id": "a"}))], now=0.0)
    journal.record([Job("krea", "b", Status.RUNNING, "processing")])  # a write moves them in
    assert not journal._aside.exists()
    assert {e.job.id: e.job.status.value for e in journal.entries()} == {"a": "running", "b": "running"}


WRITER = """
import sys
import os
from jobctl._dirs import data_dir
from jobctl.journal import Journal
from jobctl.model import Job, Status
worker = int(sys.argv[1])
journal = Journal(data_dir(os.environ) / "journal.sqlite3")
for n in range(25):
    journal.record([Job("gepetto", f"w{worker}-{n}", Status.RUNNING, "processing")])
"""


def test_eight_concurrent_writers_lose_no_ref() -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(w)], stderr=subprocess.PIPE, text=True)
        for w in range(8)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    assert errors == [""] * 8
    ids = {e.job.id for e in Journal(journal_path()).entries(include_done=True)}
    assert ids == {f"w{w}-{n}" for w in range(8) for n in range(25)}


def test_a_writer_killed_mid_write_loses_nothing_already_committed() -> None:
    script = WRITER.replace("range(25)", "range(100000)")
    proc = subprocess.Popen([sys.executable, "-c", script, "9"])
    journal = Journal(journal_path())
    try:
        # Wait until some writes have landed, then kill it without warning.
        for _ in range(400):
            if len(journal.entries()) >= 20:
                break
            subprocess.run(["sleep", "0.025"], check=True)
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = {e.job.id for e in journal.entries()}
    assert len(before) >= 20
    again = Journal(journal_path())
    again.record([Job("krea", "after-kill", Status.QUEUED, "queued")])
    after = {e.job.id for e in again.entries()}
    assert before | {"after-kill"} <= after
    assert sqlite3.connect(journal_path()).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_unchanged_state_is_not_written_again() -> None:
    journal = Journal(journal_path())
    running = Job("krea", "x", Status.RUNNING, "processing")
    journal.record([running])
    [first] = journal.entries()
    journal.record([running])
    assert journal.entries()[0].last_seen == first.last_seen
    journal.record([Job("krea", "x", Status.SUCCEEDED, "completed")])
    [after] = journal.entries(include_done=True)
    assert after.job.status is Status.SUCCEEDED and after.last_seen >= first.last_seen


# --- a private journal: it holds output URLs that may carry tokens ------------------------


def modes(*paths: object) -> dict[str, str]:
    """``{name: '0o600'}`` for each path that exists."""
    found = {}
    for path in map(str, paths):
        if os.path.exists(path):
            found[os.path.basename(path)] = oct(os.stat(path).st_mode & 0o777)
    return found


def journal_files() -> list[str]:
    base = str(journal_path())
    return [base, base + "-wal", base + "-shm", base + ".pending"]


def test_a_new_journal_is_readable_by_its_user_alone_whatever_the_umask(sim, config_file, jobctl) -> None:
    sim.add_job("krea", KREA_ID, ["processing"])
    old = os.umask(0)  # the loosest: a file gets what its creator asks for
    try:
        assert jobctl("get", "krea", KREA_ID).code == 0
        journal = Journal(journal_path())
        journal.record([Job("krea", "x", Status.RUNNING, "processing")])  # held open: -wal, -shm
        db = sqlite3.connect(journal_path(), isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        try:
            journal.record([Job("krea", "y", Status.RUNNING, "processing")])  # busy: set aside
        finally:
            db.execute("ROLLBACK")
            db.close()
        assert modes(journal_path().parent) == {"jobctl": "0o700"}
        assert modes(*journal_files()) == {
            "journal.sqlite3": "0o600",
            "journal.sqlite3-wal": "0o600",
            "journal.sqlite3-shm": "0o600",
            "journal.sqlite3.pending": "0o600",
        }
        journal.close()
    finally:
        os.umask(old)


def test_a_journal_left_open_to_others_is_made_private_when_next_opened(sim, config_file, jobctl) -> None:
    Journal(journal_path()).record([Job("krea", "x", Status.RUNNING, "processing")])
    holder = sqlite3.connect(journal_path(), isolation_level=None)  # keeps -wal and -shm there
    holder.execute("SELECT count(*) FROM jobs").fetchone()
    journal_path().parent.chmod(0o755)  # as earlier versions left them
    for name in journal_files()[:3]:
        os.chmod(name, 0o644)
    try:
        sim.add_job("krea", KREA_ID, ["processing"])
        assert jobctl("get", "krea", KREA_ID).code == 0
        assert modes(journal_path().parent) == {"jobctl": "0o700"}
        assert modes(*journal_files()) == {
            "journal.sqlite3": "0o600",
            "journal.sqlite3-wal": "0o600",
            "journal.sqlite3-shm": "0o600",
        }
    finally:
        holder.close()
