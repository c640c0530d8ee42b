"""Each pipeline step on its own, with a real crawler object, real pages from the demo
publishers and a real archive; the crawl tests check the steps together."""

from __future__ import annotations

import asyncio
import gzip
import urllib.request
from dataclasses import replace

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.items import Article, Mention, Page
from newscrawl.pipelines import (
    INLINE_GZIP_BYTES,
    DedupePipeline,
    ExtractPipeline,
    PageDropped,
    StorePipeline,
    TagPipeline,
    WarcPipeline,
)
from newscrawl.session import CrawlSession
from newscrawl.spiders.news import NewsSpider
from newscrawl.warc import read_page, read_pages


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
    yield crawler
    CrawlSession.of(crawler).close("finished")


def fetch(url: str) -> Page:
    with urllib.request.urlopen(url) as response:
        return Page(
            url=url,
            source_id="popwire",
            status=response.status,
            body=response.read(),
            headers=dict(response.headers.items()),
            request_url=url,
            fetched_at="2026-11-24T12:00:00+00:00",
            discovery={"channel": "sitemap", "lastmod": "2026-01-01"},
        )


@pytest.fixture
def seed_page(demo_sites, demo_catalog):
    seed = next(
        a for a in demo_catalog.articles if a.title == "Britney Spears Prepping Duet With Lady Gaga"
    )
    return fetch(seed.url(demo_sites.base_urls))


def extract(crawler, page):
    pipeline = ExtractPipeline.from_crawler(crawler)
    pipeline.open_spider()
    try:
        return asyncio.run(pipeline.process_item(page))
    finally:
        pipeline.close_spider()


# A small record is compressed on the reactor thread, a large one (INLINE_GZIP_BYTES) in
# the compressor thread: both must give the same readable record.
@pytest.mark.parametrize("padding", [0, 2 * INLINE_GZIP_BYTES], ids=["small", "large"])
def test_warc_step_writes_a_readable_record(crawler, seed_page, tmp_path, padding):
    seed_page = replace(seed_page, body=seed_page.body + b" " * padding)
    pipeline = WarcPipeline.from_crawler(crawler)
    pipeline.open_spider()
    page = asyncio.run(pipeline.process_item(replace(seed_page)))
    pipeline.close_spider()
    assert page.warc_file.endswith(".warc.gz") and page.warc_offset > 0
    again = read_page(tmp_path / "warc", page.warc_file, page.warc_offset)
    assert again.body == seed_page.body and again.url == seed_page.url
    assert again.discovery == seed_page.discovery and again.source_id == "popwire"
    (replayed,) = read_pages(tmp_path / "warc")
    assert (replayed.url, replayed.body, replayed.warc_offset) == (
        seed_page.url,
        seed_page.body,
        page.warc_offset,
    )
    with gzip.open(tmp_path / "warc" / page.warc_file) as stream:  # a valid gzip member series
        assert b"WARC/1" in stream.read(200)


def test_extract_step_turns_a_page_into_an_article(crawler, seed_page):
    article = extract(crawler, seed_page)
    assert isinstance(article, Article)
    assert article.title == "Britney Spears Prepping Duet With Lady Gaga"
    assert article.canonical_url == seed_page.url and article.source_id == "popwire"
    assert "Mother Monster" in article.body and article.word_count > 300
    assert article.provenance["title"] and article.extractor_version
    assert article.discovery == seed_page.discovery and article.fetched_at == seed_page.fetched_at


def test_extract_step_in_a_worker_process_gives_the_same_article(crawler, seed_page):
    crawler.settings.frozen = False
    crawler.settings.set("NEWSCRAWL_EXTRACT_WORKERS", "1")
    in_pool = extract(crawler, seed_page)
    crawler.settings.set("NEWSCRAWL_EXTRACT_WORKERS", "0")
    assert in_pool == extract(crawler, seed_page)


def test_extraction_workers_do_not_import_the_crawl_side(crawler, seed_page):
    # A worker unpickles the task's function by reference; from newscrawl.pipelines it
    # imported the store, the session, warcio and sqlite-utils into every worker.
    crawler.settings.frozen = False
    crawler.settings.set("NEWSCRAWL_EXTRACT_WORKERS", "1")
    pipeline = ExtractPipeline.from_crawler(crawler)
    pipeline.open_spider()
    probe = (
        "sorted(m for m in ('newscrawl.pipelines', 'newscrawl.store', 'sqlite_utils',"
        " 'newscrawl.extract.pipeline') if m in __import__('sys').modules)"
    )
    try:
        article = asyncio.run(pipeline.process_item(seed_page))
        loaded = asyncio.run(pipeline.executor.run(eval, probe))
    finally:
        pipeline.close_spider()
    assert article.title and loaded == ["newscrawl.extract.pipeline"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "not_html"),
        (
            b"<html><head><title>About us</title></head><body><p>Contact the desk.</p></body></html>",
            "not_article",
        ),
    ],
)
def test_extract_step_drops_what_is_not_an_article(crawler, seed_page, body, reason):
    with pytest.raises(PageDropped) as info:
        extract(crawler, replace(seed_page, body=body, headers={"Content-Type": "text/html"}))
    assert (info.value.stage, info.value.reason) == ("extract", reason)


def test_tag_step(crawler, seed_page):
    article = extract(crawler, seed_page)
    pipeline = TagPipeline.from_crawler(crawler)
    pipeline.open_spider()
    tagged = pipeline.process_item(article)
    assert {m.artist for m in tagged.mentions} == {"Britney Spears", "Lady Gaga"}
    nobody = replace(
        article, title="Film festival opens", description=None, body="A quiet week in cinema. " * 20
    )
    with pytest.raises(PageDropped) as info:
        pipeline.process_item(nobody)
    assert (info.value.stage, info.value.reason) == ("tag", "no_artist")


def make_article(url, canonical=None, content_hash="h1", source_id="popwire"):
    return Article(
        url=url,
        canonical_url=canonical or url,
        source_id=source_id,
        title="Lady Gaga tour",
        body="Lady Gaga tours.",
        content_hash=content_hash,
        fetched_at="2026-11-24T12:00:00+00:00",
        mentions=[Mention("Lady Gaga", "lady-gaga", 1, True, 0, [], 0.9)],
    )


def test_dedupe_step(crawler, demo_sites):
    pipeline = DedupePipeline.from_crawler(crawler)
    base = demo_sites.base_urls["popwire"]
    other = demo_sites.base_urls["stagescreen"]
    first = make_article(base + "2026/01/a/")
    assert pipeline.process_item(first) is first
    with pytest.raises(PageDropped, match="same canonical URL"):
        pipeline.process_item(
            make_article(base + "2026/01/a-amp/", canonical=first.url, content_hash="h2")
        )
    with pytest.raises(PageDropped, match="same content"):
        pipeline.process_item(make_article(base + "2026/01/b/"))
    # a syndicated copy seen first, then the original: the original passes
    copy = make_article(
        other + "news/c.html",
        canonical=base + "2026/01/c/",
        content_hash="h3",
        source_id="stagescreen",
    )
    assert pipeline.process_item(copy) is copy
    original = make_article(base + "2026/01/c/", content_hash="h3")
    assert pipeline.process_item(original) is original


def test_store_step_batches_and_flushes_on_close(crawler, demo_sites):
    session = CrawlSession.of(crawler)
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    base = demo_sites.base_urls["popwire"]
    for n in range(2):
        pipeline.process_item(make_article(f"{base}2026/01/s{n}/", content_hash=f"s{n}"))
    count = lambda: session.archive.db.execute("select count(*) from articles").fetchone()[0]  # noqa: E731
    assert count() == 0  # buffered: batch size is 3
    pipeline.process_item(make_article(f"{base}2026/01/s2/", content_hash="s2"))
    assert count() == 3
    pipeline.process_item(make_article(f"{base}2026/01/s3/", content_hash="s3"))
    pipeline.close_spider()
    assert count() == 4
    assert session.outcomes["new"] == 4
