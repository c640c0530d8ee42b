"""Bad input gets one clear line naming file, entry and field, exit code 1, no traceback,
from `scrapy crawl news` and from the `newscrawl` commands alike."""

from __future__ import annotations

import subprocess
import sys

import pytest
from crawling import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def crawl(tmp_path, sources, artists, *extra, db=None):
    return run(
        "scrapy",
        "crawl",
        "news",
        "-s",
        f"NEWSCRAWL_SOURCES={sources}",
        "-s",
        f"NEWSCRAWL_ARTISTS={artists}",
        "-s",
        f"NEWSCRAWL_DB={db or tmp_path / 'a.db'}",
        *extra,
    )


def one_line_error(proc) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_missing_sources_file(tmp_path, demo_config):
    _, artists = demo_config
    line = one_line_error(crawl(tmp_path, tmp_path / "nope.yml", artists))
    assert line == f"Error: {tmp_path / 'nope.yml'}: file not found"


def test_malformed_sources_entry(tmp_path, demo_config):
    sources, artists = demo_config
    bad = tmp_path / "bad.yml"
    bad.write_text(sources.read_text().replace("max_pages: 1000", "max_pages: lots", 1))
    line = one_line_error(crawl(tmp_path, bad, artists))
    assert f"{bad}:" in line and "source 'popwire'" in line and "field 'max_pages'" in line
    assert not (tmp_path / "a.db").exists()  # nothing started


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (("aliases:", "alias:"), "alias"),
        (("- name: Lady Gaga", "- name: [Lady, Gaga]"), "name"),
    ],
)
def test_malformed_artists_entry(tmp_path, demo_config, change, expect):
    sources, artists = demo_config
    bad = tmp_path / "artists.yml"
    text = artists.read_text()
    assert change[0] in text
    bad.write_text(text.replace(change[0], change[1], 1))
    line = one_line_error(crawl(tmp_path, sources, bad))
    assert f"{bad}:" in line and f"'{expect}'" in line


def test_missing_artists_file(tmp_path, demo_config):
    sources, _ = demo_config
    line = one_line_error(crawl(tmp_path, sources, tmp_path / "none.yml"))
    assert str(tmp_path / "none.yml") in line


def test_bad_spider_arguments(tmp_path, demo_config):
    sources, artists = demo_config
    assert "'since'" in one_line_error(crawl(tmp_path, sources, artists, "-a", "since=last week"))
    assert "unknown source id(s) nope" in one_line_error(
        crawl(tmp_path, sources, artists, "-a", "sources=nope")
    )
    assert "Nobody Famous" in one_line_error(
        crawl(tmp_path, sources, artists, "-a", "artists=Nobody Famous")
    )
    line = one_line_error(
        crawl(tmp_path, sources, artists, "-a", "urls=https://elsewhere.example/a")
    )
    assert "elsewhere.example" in line
    # A misspelt argument used to run a full crawl without a word.
    line = one_line_error(crawl(tmp_path, sources, artists, "-a", "source=popwire"))
    assert "unknown spider argument 'source'" in line


def test_newscrawl_commands_name_the_bad_input(tmp_path):
    line = one_line_error(
        run("newscrawl", "demo", "--no-serve", "--db", str(tmp_path / "no" / "such" / "x.db"))
    )
    assert str(tmp_path / "no" / "such") in line
    line = one_line_error(run("newscrawl", "stats", "--db", str(tmp_path / "missing.db")))
    assert "missing.db" in line
    not_db = tmp_path / "junk.db"
    not_db.write_text("not a database " * 100)
    line = one_line_error(run("newscrawl", "stats", "--db", str(not_db)))
    assert "junk.db" in line


def test_reextract_into_a_file_that_is_no_archive_is_one_line(tmp_path):
    """It was a traceback from inside the crawl (NewscrawlError raised by the store
    pipeline), and a FileExistsError one for a --db under a file."""
    not_db = tmp_path / "junk.db"
    not_db.write_text("not a database " * 100)
    warc = tmp_path / "warc"
    warc.mkdir()
    line = one_line_error(
        run("newscrawl", "reextract", "--db", str(not_db), "--warc-dir", str(warc))
    )
    assert str(not_db) in line and "not a database" in line
    line = one_line_error(
        run("newscrawl", "reextract", "--db", str(not_db / "x.db"), "--warc-dir", str(warc))
    )
    assert f"folder {not_db} is a file" in line


def test_reextract_of_a_mistyped_db_says_there_is_no_such_archive(tmp_path):
    """It said only "warc: no such WARC directory" (warc/ next to the --db it could not
    find), which did not point at the --db."""
    missing = tmp_path / "archve.db"
    line = one_line_error(run("newscrawl", "reextract", "--db", str(missing)))
    assert f"{missing}: no such archive" in line and "--warc-dir" in line
    assert not missing.exists()


def test_demo_site_names_the_config_path_it_cannot_write(tmp_path):
    """It named a hidden file the user never gave: `.sources.yml.partial: No such file
    or directory`."""
    for option in ("--sources-out", "--artists-out"):
        target = tmp_path / "no" / "such" / "folder.yml"
        line = one_line_error(run("newscrawl", "demo-site", "--port", "0", option, str(target)))
        assert line == f"Error: {target}: cannot write it: No such file or directory"


def test_a_crawl_db_under_a_file_names_the_file(tmp_path, demo_config):
    """`cannot create its folder: File exists` did not say which file."""
    sources, artists = demo_config
    in_the_way = tmp_path / "a.db"
    in_the_way.write_text("x")
    proc = crawl(tmp_path, sources, artists, db=in_the_way / "x.db")
    assert f"cannot create its folder: {in_the_way} is a file" in one_line_error(proc)


def test_someone_elses_sqlite_database_is_refused_by_every_writer(tmp_path, demo_config):
    """A mistyped --db naming another tool's SQLite file got newscrawl's tables added
    and was switched to WAL, by the crawl and by each writing command."""
    import sqlite3

    theirs = tmp_path / "notes.db"
    conn = sqlite3.connect(theirs)
    conn.execute("create table notes (text)")
    conn.commit()
    conn.close()
    before = theirs.read_bytes()
    sources, artists = demo_config
    warc = tmp_path / "warc"
    warc.mkdir()
    for proc in (
        crawl(tmp_path, sources, artists, db=theirs),
        run("newscrawl", "demo", "--no-serve", "--db", str(theirs)),
        run("newscrawl", "reextract", "--db", str(theirs), "--warc-dir", str(warc)),
    ):
        line = one_line_error(proc)
        assert f"{theirs}: an SQLite database that is not a newscrawl archive" in line
    assert theirs.read_bytes() == before
    assert not list(tmp_path.glob("notes.db-*"))  # no -wal or -shm: never opened for writing


@pytest.mark.parametrize(
    "setting",
    [
        "NEWSCRAWL_INCREMENTAL=maybe",
        "NEWSCRAWL_MAX_CRAWL_DELAY=abc",
        "NEWSCRAWL_BATCH_SIZE=x",
        "NEWSCRAWL_BATCH_SIZE=0",
        "NEWSCRAWL_PROGRESS_INTERVAL=x",
        "NEWSCRAWL_MIN_WORDS=x",
        "NEWSCRAWL_EXTRACT_WORKERS=two",
        "NEWSCRAWL_EXTRACT_TIMEOUT=x",
        "NEWSCRAWL_EXTRACT_TIMEOUT=-1",
        "NEWSCRAWL_WARC_GZIP_LEVEL=12",
        "NEWSCRAWL_WARC_MAX_SIZE=abc",
        "NEWSCRAWL_MAX_CRAWL_DELAY=inf",
        "NEWSCRAWL_WARC_PREFIX=news/crawl",
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path, demo_config, setting):
    sources, artists = demo_config
    line = one_line_error(crawl(tmp_path, sources, artists, "-s", setting))
    assert setting.split("=")[0] in line


def test_log_file_in_a_folder_not_there_yet(tmp_path, demo_config):
    """The cron recipe of docs/scaling.md logs to logs/news-<time>.log: on its first run
    logs/ was not there and Scrapy's FileHandler raised a FileNotFoundError traceback
    before the crawl started. The folder is created; a file in its place is one line."""
    sources, artists = demo_config
    bad = tmp_path / "bad.yml"
    bad.write_text(sources.read_text().replace("max_pages: 1000", "max_pages: lots", 1))
    log = tmp_path / "logs" / "news.log"
    line = one_line_error(crawl(tmp_path, bad, artists, "-s", f"LOG_FILE={log}"))
    assert "field 'max_pages'" in log.read_text(), line
    in_the_way = tmp_path / "file"
    in_the_way.write_text("x")
    line = one_line_error(crawl(tmp_path, bad, artists, "-s", f"LOG_FILE={in_the_way}/news.log"))
    assert line.startswith(f"Error: LOG_FILE {in_the_way}/news.log: cannot create its folder")


def test_config_errors_reach_the_crawls_log_file(tmp_path, demo_config):
    """cron (docs/scaling.md) and Scrapyd run crawls with LOG_FILE: the log is what an
    operator reads afterwards (Scrapyd's log_url), so it says why the crawl never
    started; stderr keeps its one line."""
    sources, artists = demo_config
    bad = tmp_path / "bad.yml"
    bad.write_text(sources.read_text().replace("max_pages: 1000", "max_pages: lots", 1))
    log = tmp_path / "crawl.log"
    line = one_line_error(crawl(tmp_path, bad, artists, "-s", f"LOG_FILE={log}"))
    error = line.removeprefix("Error: ")
    assert "field 'max_pages'" in error
    logged = [entry for entry in log.read_text().splitlines() if error in entry]
    assert len(logged) == 1 and "ERROR" in logged[0], log.read_text()[-2000:]
