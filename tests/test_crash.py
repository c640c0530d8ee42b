"""Crashes: a crawl killed with -9 mid-batch, and a crawl stopped with SIGTERM and resumed
from its JOBDIR, against the scaled demo publishers (2,000 articles).

A killed crawl must leave a consistent archive (integrity check, every committed article
whole, the full-text index and the mentions in step with the articles) and a re-run must
complete it without duplicates; a stopped crawl resumed from its JOBDIR must lose and
double nothing, and fetch no article twice.
"""

from __future__ import annotations

import json
import pickle
import signal
import sqlite3
import time
from urllib.parse import urlsplit

import psutil
import pytest
from hostile_server import CrawlProcess, crawl_command

from newscrawl.demo.server import DemoSites

ARTICLES = 2000
STOP_AFTER_ROWS = 300


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scaled-demo")
    with DemoSites(port=0, articles=ARTICLES) as sites:
        sites.sources = sites.write_sources(folder / "sources.yml")
        sites.artists = sites.write_artists(folder / "artists.yml")
        yield sites


def expected_canonical_urls(sites) -> set[str]:
    """Every page a complete crawl archives, by the catalogue."""
    return {
        a.canonical_url(sites.base_urls)
        for a in sites.catalog.articles
        if a.archivable and a.artists and a.syndicated_from is None
    }


def article_targets(sites) -> dict[str, set[str]]:
    """Request targets (path and query) of the catalogue's articles, per publisher."""
    targets: dict[str, set[str]] = {}
    for article in sites.catalog.articles:
        parts = urlsplit(article.url(sites.base_urls))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        targets.setdefault(article.source_id, set()).add(target)
    return targets


def count_articles(db) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("select count(*) from articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # not created yet
        return 0


def wait_for_rows(db, rows: int, crawl: CrawlProcess, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = count_articles(db)
        if found >= rows:
            return found
        assert crawl.poll() is None, f"crawl ended early:\n{crawl.output[-3000:]}"
        time.sleep(0.05)
    raise AssertionError(f"fewer than {rows} articles after {timeout} s")


def check_consistent(db, *, warc: bool = True) -> int:
    """Assert the archive is whole; returns its article count."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        # FTS5 checks its index against the articles it indexes; raises when they differ.
        conn.execute("insert into articles_fts(articles_fts) values ('integrity-check')")
        articles = conn.execute("select count(*) from articles").fetchone()[0]
        incomplete = conn.execute(
            "select url from articles where coalesce(title, '') = '' or coalesce(body, '') = ''"
            " or coalesce(canonical_url, '') = '' or coalesce(content_hash, '') = ''"
            " or coalesce(source_id, '') = '' or word_count is null or fetched_at is null"
            + (" or warc_file is null" if warc else "")
        ).fetchall()
        assert incomplete == []
        untagged = conn.execute(
            "select a.url from articles a where not exists"
            " (select 1 from mentions m where m.article_id = a.id)"
            " or json_array_length(a.artists) !="
            " (select count(*) from mentions m where m.article_id = a.id)"
        ).fetchall()
        assert untagged == []
        orphans = conn.execute(
            "select count(*) from mentions where article_id not in (select id from articles)"
            " or artist_id not in (select id from artists)"
        ).fetchone()[0]
        assert orphans == 0
        distinct = conn.execute("select count(distinct canonical_url) from articles").fetchone()[0]
        assert distinct == articles
        # Every indexed article is found by a phrase of its own title.
        for rowid, title in conn.execute(
            "select id, title from articles order by random() limit 25"
        ).fetchall():
            phrase = '"' + " ".join(title.replace('"', " ").split()[:3]) + '"'
            hits = {
                r[0]
                for r in conn.execute(
                    "select rowid from articles_fts where articles_fts match ?", [phrase]
                )
            }
            assert rowid in hits, title
        return articles
    finally:
        conn.close()


def canonical_urls(db) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("select canonical_url from articles")]
    finally:
        conn.close()


def runs(db) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("select * from crawl_runs order by id")]
    finally:
        conn.close()


def test_kill_9_mid_batch_leaves_a_consistent_archive_and_a_rerun_completes_it(scaled, tmp_path):
    db = tmp_path / "archive.db"
    command = crawl_command(db=db, sources=scaled.sources, artists=scaled.artists)
    crawl = CrawlProcess(command, log=tmp_path / "killed.log").start()
    wait_for_rows(db, STOP_AFTER_ROWS, crawl)
    workers = psutil.Process(crawl.pid).children(recursive=True)
    assert workers, "no extraction workers"
    crawl.signal(signal.SIGKILL)
    assert crawl.wait() == -signal.SIGKILL

    committed = check_consistent(db)
    assert STOP_AFTER_ROWS <= committed < len(expected_canonical_urls(scaled))
    assert runs(db)[0]["finished_at"] is None  # it never got to say goodbye
    # Its extraction workers do not outlive it.
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == [], [p.pid for p in alive]

    rerun = CrawlProcess(command, log=tmp_path / "rerun.log").start()
    assert rerun.wait() == 0, rerun.output[-3000:]
    assert "Traceback" not in rerun.output
    assert "listings are followed to max_listing_pages" in rerun.output  # catching up
    assert check_consistent(db) == len(expected_canonical_urls(scaled))
    urls = canonical_urls(db)
    assert len(urls) == len(set(urls))
    assert set(urls) == expected_canonical_urls(scaled)
    assert runs(db)[1]["finish_reason"] == "finished"
    print(f"kill -9 after {committed} committed articles; rerun {rerun.seconds:.1f} s")


def test_sigterm_then_resume_from_jobdir_loses_and_doubles_nothing(scaled, tmp_path):
    db, jobdir = tmp_path / "archive.db", tmp_path / "job"
    command = crawl_command(
        db=db, sources=scaled.sources, artists=scaled.artists, settings={"JOBDIR": str(jobdir)}
    )
    scaled.reset_hits()
    first = CrawlProcess(command, log=tmp_path / "first.log").start()
    wait_for_rows(db, STOP_AFTER_ROWS, first)
    first.signal(signal.SIGTERM)  # once: Scrapy finishes what is in flight and stops
    assert first.wait() == 0, first.output[-3000:]
    stopped = runs(db)[0]
    assert stopped["finish_reason"] == "shutdown"
    assert check_consistent(db) < len(expected_canonical_urls(scaled))

    # What the spider decided and spent survives in the job's state.
    with open(jobdir / "spider.state", "rb") as handle:
        state = pickle.load(handle)
    assert sum(state["budget_used"].values()) == stopped["requested"]
    assert sum(1 for v in state["decided"].values() if v == "requested") == stopped["requested"]

    second = CrawlProcess(command, log=tmp_path / "second.log").start()
    assert second.wait() == 0, second.output[-3000:]
    assert "Traceback" not in first.output + second.output
    assert runs(db)[1]["finish_reason"] == "finished"
    # The job's own queue holds what is left: no catching up needed.
    assert "listings are followed to max_listing_pages" not in second.output
    assert check_consistent(db) == len(expected_canonical_urls(scaled))
    assert set(canonical_urls(db)) == expected_canonical_urls(scaled)

    # No article was fetched twice over the two runs.
    targets = article_targets(scaled)
    for source_id, counter in scaled.hits.items():
        fetched = {t: n for t, n in counter.items() if t in targets[source_id]}
        assert {t for t, n in fetched.items() if n > 1} == set(), source_id
    # Requests waiting in the job's queue kept their discovery evidence.
    conn = sqlite3.connect(db)
    try:
        evidence = [
            json.loads(r[0] or "{}") for r in conn.execute("select discovery from articles")
        ]
    finally:
        conn.close()
    assert all(e.get("channels") for e in evidence)
    print(f"SIGTERM after {stopped['articles_new']} articles; resumed run {second.seconds:.1f} s")


def test_a_stop_while_the_spider_opens_still_closes_the_run(scaled, tmp_path):
    """Ctrl-C, SIGTERM or Scrapyd's cancel.json right after the run row is written (the
    extraction workers still starting): Scrapy 2.19 stopped the reactor with the spider
    never closed, so the process exited 0 leaving the run unfinished ("crashed or still
    running") and its JOBDIR not written back. The stop now waits for the engine."""
    db, jobdir = tmp_path / "archive.db", tmp_path / "job"
    command = crawl_command(
        db=db, sources=scaled.sources, artists=scaled.artists, settings={"JOBDIR": str(jobdir)}
    )
    crawl = CrawlProcess(command, log=tmp_path / "crawl.log").start()
    deadline = time.monotonic() + 120
    while "crawl run 1" not in crawl.output:
        assert crawl.poll() is None and time.monotonic() < deadline, crawl.output[-3000:]
        time.sleep(0.01)
    crawl.signal(signal.SIGINT)
    assert crawl.wait() == 0, crawl.output[-3000:]
    assert "Spider closed (shutdown)" in crawl.output, crawl.output[-3000:]
    (run,) = runs(db)
    assert run["finish_reason"] == "shutdown" and run["finished_at"], run
    assert (jobdir / "spider.state").exists()  # written back: the next run resumes it
    check_consistent(db)


@pytest.mark.parametrize("finished_between", [None, "urls", "sources"])
def test_after_an_unfinished_run_listings_are_walked_past_known_territory(
    demo_sites, tmp_path, finished_between
):
    # A crawl killed (or stopped by a full disk) after storing the articles of a listing's
    # first page but before those of its later pages: the next crawl must find them,
    # although every article on the first page is already archived. A finished run
    # limited to some URLs or publishers in between does not find them again, so it
    # does not end the catching up.
    from crawling import scrapy_crawl

    sources = demo_sites.write_sources(tmp_path / "sources.yml")
    artists = demo_sites.write_artists(tmp_path / "artists.yml")
    db = tmp_path / "archive.db"
    scrapy_crawl(db=db, sources=sources, artists=artists)
    conn = sqlite3.connect(db)
    lost = [
        (article_id, url)
        for article_id, url, discovery in conn.execute(
            "select id, url, discovery from articles where source_id = 'showbizbulletin'"
        )
        if not json.loads(discovery)["via"].endswith("page=1")
    ]
    assert len(lost) >= 3  # only the later listing pages link to these
    for article_id, _ in lost:
        conn.execute("delete from mentions where article_id = ?", [article_id])
        conn.execute("delete from articles where id = ?", [article_id])
    conn.execute("update crawl_runs set finished_at = null, finish_reason = null")  # killed
    conn.commit()
    some_url = conn.execute("select url from articles where source_id = 'popwire'").fetchone()[0]
    conn.close()
    if finished_between == "urls":
        scrapy_crawl(db=db, sources=sources, artists=artists, spider_args={"urls": some_url})
    elif finished_between == "sources":
        scrapy_crawl(db=db, sources=sources, artists=artists, spider_args={"sources": "popwire"})

    rerun = scrapy_crawl(db=db, sources=sources, artists=artists)
    assert "listings are followed to max_listing_pages" in rerun.output
    assert {url for _, url in lost} <= {r["url"] for r in rerun.query("select url from articles")}
    assert check_consistent(db) == 46


def test_kill_9_with_a_jobdir_then_resume_completes_the_archive(scaled, tmp_path):
    # A JOBDIR is only written back when the crawl closes: after kill -9 (a reboot, the
    # OOM killer, a second Ctrl-C) its seen-requests filter holds every channel and
    # article request made, while its queue lost what was waiting. Resumed as it is, the
    # next run had every request refused: it fetched nothing, said "finished", and the
    # archive kept its 300-odd articles of 1,127 for good.
    db, jobdir = tmp_path / "archive.db", tmp_path / "job"
    command = crawl_command(
        db=db, sources=scaled.sources, artists=scaled.artists, settings={"JOBDIR": str(jobdir)}
    )
    killed = CrawlProcess(command, log=tmp_path / "killed.log").start()
    wait_for_rows(db, STOP_AFTER_ROWS, killed)
    killed.signal(signal.SIGKILL)
    assert killed.wait() == -signal.SIGKILL
    assert (jobdir / "requests.seen").stat().st_size > 0

    resumed = CrawlProcess(command, log=tmp_path / "resumed.log").start()
    assert resumed.wait() == 0, resumed.output[-3000:]
    assert "Traceback" not in resumed.output
    assert check_consistent(db) == len(expected_canonical_urls(scaled))
    assert set(canonical_urls(db)) == expected_canonical_urls(scaled)
    assert runs(db)[1]["finish_reason"] == "finished"
    assert "did not stop cleanly" in resumed.output
    # The resumed run's JOBDIR is whole again: a SIGTERM-stopped run resumes from it.
    assert (jobdir / "newscrawl.lock").read_text() == ""


def test_a_second_crawl_with_the_same_jobdir_is_refused(scaled, tmp_path):
    # Cron without flock starts the next crawl while the previous one still runs: two
    # processes would pop and truncate the same queue files.
    db, jobdir = tmp_path / "archive.db", tmp_path / "job"
    command = crawl_command(
        db=db, sources=scaled.sources, artists=scaled.artists, settings={"JOBDIR": str(jobdir)}
    )
    first = CrawlProcess(command, log=tmp_path / "first.log").start()
    wait_for_rows(db, 10, first)
    second = CrawlProcess(command, log=tmp_path / "second.log").start()
    assert second.wait() == 1
    assert "Traceback" not in second.output
    assert f"Error: {jobdir}: JOBDIR in use by a crawl still running (pid {first.pid}," in (
        second.output
    )
    assert first.wait() == 0, first.output[-3000:]
    assert check_consistent(db) == len(expected_canonical_urls(scaled))
