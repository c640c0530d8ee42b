"""Storage that refuses writes: a read-only archive file or folder, and a disk that fills
up halfway through a crawl. Each is one clear line (``Error: ...``), exit code 1, no
traceback, and nothing half-written; a later crawl with room to write completes it.

The tests run as root in CI, and root writes read-only files anyway: there the crawl
runs without ``CAP_DAC_OVERRIDE`` (dropped from its capability bounding set), so file
modes bind it like any user. The full disk is a file size limit (``RLIMIT_FSIZE``) on
the crawl process: the kernel refuses to grow its files past it, as a full disk does.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace

import pytest
from hostile_server import ROOT, crawl_command
from test_crash import check_consistent

from newscrawl.items import Article, Mention
from newscrawl.store import Archive

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
ROOM = 256 * 1024
"""How much a file of the crawl may grow on the "small disk"."""


def _as_an_ordinary_user() -> None:
    # preexec_fn: root keeps its uid but loses the right to ignore file modes.
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _small_disk(limit: int):
    def preexec() -> None:
        # Writes past ``limit`` fail (EFBIG) instead of killing the process (SIGXFSZ).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def crawl(demo_config, db, *, preexec=None, settings=None) -> subprocess.CompletedProcess:
    sources, artists = demo_config
    command = crawl_command(db=db, sources=sources, artists=artists, settings=settings)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        preexec_fn=preexec,
    )


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def last_line(proc: subprocess.CompletedProcess) -> str:
    return (proc.stdout + proc.stderr).strip().splitlines()[-1]


@pytest.fixture(scope="module")
def crawled_archive(tmp_path_factory, demo_sites):
    """A complete archive of the small demo, to be made read-only by a test."""
    folder = tmp_path_factory.mktemp("complete")
    config = (
        demo_sites.write_sources(folder / "s.yml"),
        demo_sites.write_artists(folder / "a.yml"),
    )
    db = folder / "archive.db"
    proc = crawl(config, db)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return db


def test_the_ordinary_user_trick_works(tmp_path):
    # Guards the tests below: without it, as root, they would prove nothing.
    target = tmp_path / "read-only.txt"
    target.write_text("x")
    target.chmod(0o444)
    proc = subprocess.run(
        ["/bin/sh", "-c", f"echo more >> {target}"],
        capture_output=True,
        text=True,
        preexec_fn=_as_an_ordinary_user,
    )
    assert proc.returncode != 0 and "Permission denied" in proc.stderr
    assert target.read_text() == "x"


def test_read_only_archive_file(crawled_archive, demo_config, tmp_path):
    db = tmp_path / "archive" / "archive.db"
    db.parent.mkdir()
    db.write_bytes(crawled_archive.read_bytes())
    db.chmod(0o444)
    before = sha256(db)
    proc = crawl(demo_config, db, preexec=_as_an_ordinary_user)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert last_line(proc) == (
        f"Error: {db}: cannot write to the archive: attempt to write a readonly database"
    )
    assert sha256(db) == before
    # SQLite may leave its (empty) shared-memory index; no write-ahead log with content.
    assert {p.name for p in db.parent.iterdir()} <= {
        "archive.db",
        "archive.db-shm",
        "archive.db-wal",
    }
    wal = db.with_name("archive.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0


@pytest.mark.parametrize(
    ("existing", "error"),
    [(False, "unable to open database file"), (True, "attempt to write a readonly database")],
    ids=["new-archive", "existing-archive"],
)
def test_read_only_archive_folder(crawled_archive, demo_config, tmp_path, existing, error):
    folder = tmp_path / "archive"
    folder.mkdir()
    db = folder / "archive.db"
    if existing:
        db.write_bytes(crawled_archive.read_bytes())
    folder.chmod(0o555)
    try:
        proc = crawl(demo_config, db, preexec=_as_an_ordinary_user)
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert last_line(proc) == f"Error: {db}: cannot open archive: {error}"
    assert [p.name for p in folder.iterdir()] == (["archive.db"] if existing else [])
    if existing:
        assert sha256(db) == sha256(crawled_archive)


def _newscrawl(*args, preexec) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=preexec,
    )


@pytest.mark.parametrize("command", ["stats", "export"])
@pytest.mark.parametrize(
    ("case", "error"),
    [
        (
            "read-only-folder",
            "attempt to write a readonly database"
            " (SQLite must be able to create archive.db-shm in its folder)",
        ),
        ("full-disk", "disk I/O error"),
    ],
)
def test_read_commands_say_why_they_cannot_read(crawled_archive, tmp_path, command, case, error):
    # A complete archive, closed (no -shm left), in a folder where SQLite cannot create
    # the -shm file reading a WAL database needs. Before the fix: "not an SQLite
    # database (attempt to write a readonly database)" / "(disk I/O error)".
    folder = tmp_path / "archive"
    folder.mkdir()
    db = folder / "archive.db"
    db.write_bytes(crawled_archive.read_bytes())
    args = ["--db", str(db)] + (["-o", str(tmp_path / "release")] if command == "export" else [])
    if case == "read-only-folder":
        folder.chmod(0o555)
        try:
            proc = _newscrawl(command, *args, preexec=_as_an_ordinary_user)
        finally:
            folder.chmod(0o755)
    else:
        proc = _newscrawl(command, *args, preexec=_small_disk(4096))
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert last_line(proc) == f"Error: {db}: cannot read the archive: {error}"
    assert sha256(db) == sha256(crawled_archive)


@pytest.mark.parametrize("jobdir", [False, True])
def test_disk_full_halfway_stops_the_crawl_cleanly(demo_config, tmp_path, jobdir):
    # With a JOBDIR (the cron recipe keeps it after a run that did not finish) the next
    # crawl resumed it: the lost batch's pages were in its seen-requests filter and
    # "requested" in its spider.state, so it never fetched them (15 of 46 archived).
    db = tmp_path / "archive.db"
    Archive(db).close()  # an empty archive: the disk fills with what the crawl writes
    limit = db.stat().st_size + ROOM
    # Small batches: the disk fills while pages are still being fetched.
    settings = {"NEWSCRAWL_BATCH_SIZE": "10"}
    if jobdir:
        settings["JOBDIR"] = str(tmp_path / "job")
    proc = crawl(demo_config, db, preexec=_small_disk(limit), settings=settings)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output[-3000:]
    assert "Traceback" not in output
    assert last_line(proc).startswith(f"Error: {db}: cannot write to the archive: ")
    assert "(the crawl stopped; the last " in last_line(proc)
    assert "Spider closed (archive_error)" in output
    written = check_consistent(db)  # the failed batch left nothing behind
    assert written < 46
    print(f"disk full after {written} of 46 articles: {last_line(proc)}")
    # With room to write, the next crawl completes the archive.
    proc = crawl(demo_config, db, settings=settings)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert check_consistent(db) == 46
    assert ("did not stop cleanly" in proc.stderr) == jobdir


def test_a_warc_folder_that_refuses_writes_stops_the_crawl(demo_config, tmp_path):
    # The raw records may live on another disk than the archive (NEWSCRAWL_WARC_DIR).
    # When that one filled or failed, each page's record failed to append, Scrapy logged
    # "Error processing" and went on: the page had no row and no drop, and the run
    # "finished". Here the folder turns read-only once the crawl has begun (it checks
    # that it can write there before the first request), and small WARC files make the
    # crawl open a new one every record or two.
    db = tmp_path / "archive.db"
    Archive(db).close()
    warc = tmp_path / "warc"
    warc.mkdir()
    settings = {
        "NEWSCRAWL_BATCH_SIZE": "5",
        "NEWSCRAWL_WARC_DIR": str(warc),
        "NEWSCRAWL_WARC_MAX_SIZE": "20000",
        "NEWSCRAWL_WARC_GZIP_LEVEL": "0",
    }
    sources, artists = demo_config
    command = crawl_command(db=db, sources=sources, artists=artists, settings=settings)
    crawler = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        preexec_fn=_as_an_ordinary_user,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(warc.glob("*.warc.gz")) and time.monotonic() < deadline:
            time.sleep(0.005)
        warc.chmod(0o555)
        stdout, stderr = crawler.communicate(timeout=120)
    finally:
        if crawler.poll() is None:
            crawler.kill()
        warc.chmod(0o755)
    output = stdout + stderr
    assert crawler.returncode == 1, output[-3000:]
    assert "Traceback" not in output and "Error processing" not in output
    last = output.strip().splitlines()[-1]
    assert last.startswith(f"Error: {warc}: cannot write the WARC records: Permission denied")
    assert "Spider closed (archive_error)" in output
    written = check_consistent(db)  # every row points at a record written before the stop
    assert written < 46
    with sqlite3.connect(db) as conn:
        assert conn.execute("select finish_reason from crawl_runs").fetchone()[0] == (
            "archive_error"
        )
    # With a folder it can write to, the next crawl completes the archive.
    proc = crawl(demo_config, db, settings=settings)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert check_consistent(db) == 46


def test_disk_full_at_the_last_batch_is_not_a_finished_run(demo_config, tmp_path):
    # Every row of the run waits for the final flush (one batch), and the disk is full
    # by then; the run's own row still fits (the failed batch's room in the WAL is
    # reused). It said finish_reason "finished", so the next crawl trusted it: listings
    # stopped at known territory and what the lost batch held behind them stayed lost.
    db = tmp_path / "archive.db"
    Archive(db).close()
    proc = crawl(
        demo_config,
        db,
        preexec=_small_disk(db.stat().st_size + 64 * 1024),
        settings={"NEWSCRAWL_BATCH_SIZE": "1000"},
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output[-3000:]
    assert "Traceback" not in output
    assert "(the crawl stopped; the last " in last_line(proc)
    conn = sqlite3.connect(db)
    try:
        run = conn.execute("select finish_reason, finished_at from crawl_runs").fetchone()
    finally:
        conn.close()
    assert check_consistent(db) == 0
    assert run[0] == "archive_error" and run[1] is not None
    proc = crawl(demo_config, db)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "listings are followed to max_listing_pages" in proc.stdout + proc.stderr
    assert check_consistent(db) == 46


@dataclass
class _Source:
    id: str = "a"
    name: str = "A"
    homepage: str = "https://a.example/"
    allowed_domains: list = field(default_factory=lambda: ["a.example"])


@dataclass
class _Artist:
    id: str = "lady-gaga"
    name: str = "Lady Gaga"
    aliases: list = field(default_factory=list)
    wikidata: str | None = None


def test_sqlite_full_rolls_back_the_whole_batch(tmp_path):
    mention = Mention("Lady Gaga", "lady-gaga", 1, True, 0, ["Lady Gaga"], 0.9)
    base = Article(
        url="https://a.example/0",
        canonical_url="https://a.example/0",
        source_id="a",
        title="Lady Gaga",
        body="Lady Gaga " + "word " * 2000,
        content_hash="0",
        fetched_at="2026-11-02T09:00:00+00:00",
        mentions=[mention],
    )
    with Archive(tmp_path / "a.db") as archive:
        archive.sync_sources([_Source()])
        archive.sync_artists([_Artist()])
        archive.write_batch([base], run_id=None)
        pages = archive.db.execute("pragma page_count").fetchone()[0]
        archive.db.execute(f"pragma max_page_count = {pages + 8}")
        batch = [
            replace(
                base,
                url=f"https://a.example/{i}",
                canonical_url=f"https://a.example/{i}",
                content_hash=str(i),
            )
            for i in range(1, 40)
        ]
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
            archive.write_batch(batch, run_id=None)
        counts = [
            archive.db.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("articles", "mentions", "articles_fts")
        ]
        assert counts == [1, 1, 1]
        archive.db.execute("pragma max_page_count = 1073741823")
        archive.write_batch(batch, run_id=None)
    assert check_consistent(tmp_path / "a.db", warc=False) == 40
