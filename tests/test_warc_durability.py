"""The raw archive and the rows pointing into it: records reach the disk before the
rows that point at them commit, and a row whose record is gone or cut short reads as
one clear error."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from crawling import ROOT, scrapy_crawl, tiny_site
from scrapy.utils.test import get_crawler

from newscrawl.items import Article, Mention, Page
from newscrawl.pipelines import StorePipeline, WarcPipeline
from newscrawl.session import CrawlSession
from newscrawl.spiders.news import NewsSpider
from newscrawl.warc import WarcRecordError, read_page


@pytest.fixture
def crawler(tmp_path, demo_config):
    sources, artists = demo_config
    settings = {
        "NEWSCRAWL_DB": str(tmp_path / "a.db"),
        "NEWSCRAWL_SOURCES": str(sources),
        "NEWSCRAWL_ARTISTS": str(artists),
        "NEWSCRAWL_EXTRACT_WORKERS": "0",
        "NEWSCRAWL_BATCH_SIZE": "3",
    }
    crawler = get_crawler(NewsSpider, settings)
    crawler.spider = crawler._create_spider()
    return crawler


def test_the_warc_records_of_a_batch_are_on_disk_before_its_rows_commit(
    crawler, demo_sites, monkeypatch
):
    # The real os.fsync, watched: which file it made durable, and how far.
    synced: dict[str, int] = {}
    fsyncs: list[str] = []
    real_fsync = os.fsync

    def watched_fsync(fd: int) -> None:
        real_fsync(fd)
        fsyncs.append(os.readlink(f"/proc/self/fd/{fd}"))
        synced[fsyncs[-1]] = os.fstat(fd).st_size

    monkeypatch.setattr(os, "fsync", watched_fsync)
    warc = WarcPipeline.from_crawler(crawler)
    store = StorePipeline.from_crawler(crawler)
    warc.open_spider()
    store.open_spider()
    series = warc.series
    # At every commit, every byte of the WARC file (the records the committed rows point
    # at among them) must already be durable.
    commits: list[tuple[int, int]] = []

    def at_commit(statement: str) -> None:
        if statement.strip().lower() == "commit" and series._file is not None:
            path = os.path.realpath(series.directory / series._name)
            commits.append((os.path.getsize(path), synced.get(path, 0)))

    session = CrawlSession.of(crawler)
    session.archive.db.conn.set_trace_callback(at_commit)
    base = demo_sites.base_urls["popwire"]
    records = 7
    for n in range(records):
        url = f"{base}2026/01/durable-{n}/"
        page = Page(
            url=url,
            source_id="popwire",
            status=200,
            body=f"<html><body><p>Lady Gaga story {n}</p></body></html>".encode(),
            headers={"Content-Type": "text/html"},
            fetched_at="2026-11-24T12:00:00+00:00",
        )
        page = asyncio.run(warc.process_item(page))
        store.process_item(
            Article(
                url=url,
                canonical_url=url,
                source_id="popwire",
                title=f"Lady Gaga story {n}",
                body=f"Lady Gaga story {n}.",
                content_hash=f"durable-{n}",
                fetched_at=page.fetched_at,
                warc_file=page.warc_file,
                warc_offset=page.warc_offset,
                mentions=[Mention("Lady Gaga", "lady-gaga", 1, True, 0, [], 0.9)],
            )
        )
    store.close_spider()
    session.close("finished")
    warc.close_spider()
    assert commits, "no batch was committed"
    assert all(size == durable for size, durable in commits), commits
    # Once per batch (3 + 3 + the last 1), not once per record.
    path = os.path.realpath(series.directory / series._name)
    assert fsyncs.count(path) == 3
    assert synced[path] == os.path.getsize(path)


def story(title: str, n: int) -> str:
    words = " ".join([f"Lady Gaga announced new album number {n} on Friday night."] * 12)
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{words}</p></article></body></html>"
    )


def test_a_row_whose_warc_record_is_missing_or_cut_short_reads_as_one_clear_error(tmp_path):
    pages = {f"/2026/story-{n}/": story(f"Lady Gaga story {n}", n) for n in range(4)}
    pages["/news/"] = "".join(f'<a href="{{base}}{path}">{path}</a>' for path in list(pages))
    with tiny_site(tmp_path, pages, listings=["{base}/news/"]) as (_, sources, artists):
        result = scrapy_crawl(db=tmp_path / "a.db", sources=sources, artists=artists)
    rows = result.query("select url, warc_file, warc_offset from articles order by warc_offset")
    assert len(rows) == 4 and len({r["warc_file"] for r in rows}) == 1
    warc = tmp_path / "warc"
    path = warc / rows[0]["warc_file"]
    for row in rows:  # intact: each row reads its own page
        assert read_page(warc, row["warc_file"], row["warc_offset"]).url == row["url"]

    # A power cut before the last records reached the disk: the file ends inside the
    # third record, and the fourth is not there at all.
    path.write_bytes(path.read_bytes()[: rows[2]["warc_offset"] + 200])
    assert read_page(warc, rows[1]["warc_file"], rows[1]["warc_offset"]).url == rows[1]["url"]
    for row, what in ((rows[2], "is damaged or cut short"), (rows[3], "is missing")):
        with pytest.raises(WarcRecordError) as error:
            read_page(warc, row["warc_file"], row["warc_offset"])
        message = str(error.value)
        assert message.startswith(f"{path}: the record at offset {row['warc_offset']} {what}")
        assert "\n" not in message

    # The command that reads the records replays what is whole, reports the rest.
    proc = subprocess.run(
        [sys.executable, "-m", "newscrawl", "reextract", "--db", str(tmp_path / "rebuilt.db")]
        + ["--warc-dir", str(warc), "--artists", str(artists), "--sources", str(sources)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "damaged WARC record" in proc.stderr

    path.unlink()
    with pytest.raises(WarcRecordError, match="cannot read the WARC file: No such file"):
        read_page(warc, rows[0]["warc_file"], rows[0]["warc_offset"])
