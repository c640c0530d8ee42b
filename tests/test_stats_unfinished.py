"""`newscrawl stats` on a run that has not finished (still running, killed, crashed):
its funnel counters are written only by Archive.finish_run, so instead of printing their
empty values as zeros it shows what the archive holds from the run, labelled as such;
and on an archive without runs it says so."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace

import pytest
from archive_fixtures import ARTISTS, SOURCES, first_run_articles, second_run_articles
from crawling import ROOT
from hostile_server import CrawlProcess, crawl_command

from newscrawl.demo.server import DemoSites
from newscrawl.store import Archive, Drop, utcnow


def stats(db, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "newscrawl", "stats", "--db", str(db), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def db(tmp_path):
    """Run 1 finished (nine articles, three drops); run 2 started and never finished
    (killed): it wrote one new article, one edited one, one refetched unchanged, and
    two drops, each article fetched after the run started."""
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        archive.sync_sources(SOURCES)
        archive.sync_artists(ARTISTS)
        run1 = archive.start_run(spider="news", args={"sources": "all"})
        archive.write_batch(
            first_run_articles(),
            [
                Drop("https://popwire.example/private", "discover", "robots", source_id="popwire"),
                Drop("https://starbeat.example/a", "tag", "no_artist", source_id="starbeat"),
                Drop("https://starbeat.example/b", "tag", "no_artist", source_id="starbeat"),
            ],
            run_id=run1,
        )
        archive.finish_run(
            run1,
            finish_reason="finished",
            counts={"discovered": 12, "requested": 12, "articles_new": 9, "dropped": 3},
            per_source={"popwire": {"archived": 4, "dropped": 1}},
        )
        run2 = archive.start_run(spider="news", args={"sources": "all"})
        now = utcnow()  # not before run 2's started_at, as a crawl's fetch times are
        edited, new = (replace(a, fetched_at=now) for a in second_run_articles())
        unchanged = replace(first_run_articles()[4], fetched_at=now)  # starbeat
        archive.write_batch(
            [edited, new, unchanged],
            [
                Drop("https://popwire.example/tag/9", "discover", "budget", source_id="popwire"),
                # Dropped in run 1, again in run 2: the row now says run 2.
                Drop("https://starbeat.example/a", "tag", "no_artist", source_id="starbeat"),
            ],
            run_id=run2,
        )
        # No finish_run: the crawl was killed.
    return path


def test_unfinished_run_shows_what_the_archive_holds(db):
    out = stats(db, "--runs", "1").stdout
    assert "Run 2 (news," in out and "unfinished" in out
    # The empty counters are not shown as counts.
    assert "new 0, updated 0, unchanged 0, skipped 0" not in out
    assert "Funnel per source" not in out
    assert "No funnel counters yet: a run writes them when it finishes." in out
    assert (
        "In the archive so far: 3 articles last written by this run"
        " (1 new, 1 updated, 1 unchanged), 2 drops last seen in it." in out
    )
    lines = out.splitlines()
    table = lines.index("  In the archive so far per source (no funnel counters yet)")
    assert lines[table + 1].split() == [
        "source",
        "articles",
        "new",
        "updated",
        "unchanged",
        "dropped",
    ]
    assert [line.split() for line in lines[table + 2 : table + 4]] == [
        ["popwire", "2", "1", "1", "0", "1"],
        ["starbeat", "1", "0", "0", "1", "1"],
    ]
    # The drops table by stage and reason is there as before.
    assert "Drops (last seen in this run) by reason" in out
    assert any(line.split() == ["popwire", "discover", "budget", "1"] for line in lines)
    assert any(line.split() == ["starbeat", "tag", "no_artist", "1"] for line in lines)


def test_finished_run_is_printed_as_before(db):
    out = stats(db, "--runs", "2").stdout
    run1 = out[out.index("\nRun 1 (") :]
    assert "finished" in run1.splitlines()[1]
    assert "new 9, updated 0, unchanged 0, skipped 0" in run1
    assert "Funnel per source" in run1 and "In the archive so far" not in run1


def test_json_adds_the_archive_counts_and_keeps_the_fields(db):
    runs = json.loads(stats(db, "--runs", "2", "--json").stdout)
    assert [r["id"] for r in runs] == [2, 1]
    unfinished, finished = runs
    for run in runs:  # the fields stats --json always had
        assert {"id", "spider", "started_at", "finished_at", "finish_reason"} <= run.keys()
        assert {"articles_new", "articles_updated", "dropped", "sources", "drops"} <= run.keys()
    # The spider's arguments as an object, not JSON text inside the JSON.
    assert [r["args"] for r in runs] == [{"sources": "all"}, {"sources": "all"}]
    assert unfinished["finished_at"] is None and unfinished["articles_new"] is None
    assert unfinished["sources"] == []
    assert unfinished["counters_written"] is False
    found = unfinished["in_archive"]
    assert "written" in found["note"]
    assert {k: found[k] for k in ("articles", "new", "updated", "unchanged", "dropped")} == {
        "articles": 3,
        "new": 1,
        "updated": 1,
        "unchanged": 1,
        "dropped": 2,
    }
    assert found["drops_by_reason"] == [
        {"stage": "discover", "reason": "budget", "pages": 1},
        {"stage": "tag", "reason": "no_artist", "pages": 1},
    ]
    assert found["sources"] == [
        {
            "source_id": "popwire",
            "articles": 2,
            "new": 1,
            "updated": 1,
            "unchanged": 0,
            "dropped": 1,
        },
        {
            "source_id": "starbeat",
            "articles": 1,
            "new": 0,
            "updated": 0,
            "unchanged": 1,
            "dropped": 1,
        },
    ]
    assert finished["counters_written"] is True and finished["in_archive"] is None
    assert finished["articles_new"] == 9


def test_archive_without_runs_says_so(tmp_path):
    path = tmp_path / "empty.db"
    with Archive(path) as archive:
        archive.sync_sources(SOURCES)
    out = stats(path).stdout
    assert out.strip().splitlines() == [f"{path}: no crawl runs recorded in this archive."]
    assert json.loads(stats(path, "--json").stdout) == []


@pytest.mark.slow
def test_a_real_crawl_killed_mid_run(tmp_path):
    # A real `scrapy crawl news` of the scaled demo, killed with -9 once it has committed
    # some batches: its crawl_runs row has no counters, the archive has its articles.
    db = tmp_path / "archive.db"
    with DemoSites(port=0, articles=2000) as sites:
        sources = sites.write_sources(tmp_path / "sources.yml")
        artists = sites.write_artists(tmp_path / "artists.yml")
        crawl = CrawlProcess(
            crawl_command(db=db, sources=sources, artists=artists), log=tmp_path / "crawl.log"
        ).start()
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and crawl.poll() is None:
                if db.exists():
                    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                    try:
                        if conn.execute("select count(*) from articles").fetchone()[0] >= 100:
                            break
                    except sqlite3.OperationalError:  # tables not created yet
                        pass
                    finally:
                        conn.close()
                time.sleep(0.05)
            assert crawl.poll() is None, "the crawl ended before it could be killed"
        finally:
            crawl.signal(signal.SIGKILL)
            crawl.wait()
    conn = sqlite3.connect(db)
    articles = conn.execute("select count(*) from articles where run_id = 1").fetchone()[0]
    drops = conn.execute("select count(*) from drops where run_id = 1").fetchone()[0]
    assert conn.execute("select finished_at, articles_new from crawl_runs").fetchall() == [
        (None, None)
    ]
    conn.close()
    assert articles >= 100 and drops > 0

    out = stats(db, "--runs", "1").stdout
    assert "new 0, updated 0" not in out and "Funnel per source" not in out
    assert "No funnel counters yet" in out
    assert f"In the archive so far: {articles} articles last written by this run" in out
    (run,) = json.loads(stats(db, "--runs", "1", "--json").stdout)
    found = run["in_archive"]
    # A first crawl: every article it wrote is new.
    assert (found["articles"], found["new"], found["updated"], found["unchanged"]) == (
        articles,
        articles,
        0,
        0,
    )
    assert found["dropped"] == drops == sum(d["pages"] for d in found["drops_by_reason"])
    assert sum(s["articles"] for s in found["sources"]) == articles
