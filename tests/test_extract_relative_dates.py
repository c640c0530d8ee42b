"""Relative dates ("3 hours ago", "Yesterday at 5:10 PM") are resolved against the time
the page was fetched, never the clock at extraction time: a crawl and a later
re-extraction of its WARC record read the same date."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from extract_pages import PARAGRAPHS, page
from scrapy.utils.test import get_crawler

from newscrawl.cli import main
from newscrawl.extract import extract_article
from newscrawl.items import Article, Page
from newscrawl.pipelines import ExtractPipeline
from newscrawl.session import CrawlSession
from newscrawl.spiders.news import NewsSpider
from newscrawl.warc import WarcSeries, read_pages

UNDATED_URL = "https://gossip.example/music/star-announces-tour/"
FETCHED = "2024-03-05T12:34:56+00:00"


def html(line: str, *, head: str = "", after: str = "") -> bytes:
    text = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    body = f'<article><h1>Star Announces Tour</h1><p class="meta">{line}</p>{text}</article>{after}'
    return page(head, body)


def extract(line: str, *, fetched_at=FETCHED, url: str = UNDATED_URL, **parts) -> dict:
    return extract_article(html(line, **parts), url, fetched_at=fetched_at)


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("3 hours ago", "2024-03-05T09:34:00+00:00"),
        ("By Jane Doe · 3 hours ago", "2024-03-05T09:34:00+00:00"),
        ("Published 5 mins ago", "2024-03-05T12:29:00+00:00"),
        ("an hour ago", "2024-03-05T11:34:00+00:00"),
        ("just now", "2024-03-05T12:34:00+00:00"),
        # Days give a date; "Yesterday at" a clock time in the page's (unknown) zone.
        ("2 days ago", "2024-03-03"),
        ("Yesterday at 5:10 PM", "2024-03-04T17:10:00"),
    ],
)
def test_relative_dates_count_back_from_the_fetch_time(line, iso):
    fields = extract(line)
    assert (fields["published_at"], fields["provenance"]["published_at"]) == (iso, "relative")


def test_another_fetch_time_gives_another_date():
    # The date follows the fetch time given, not the clock of the extracting machine.
    fields = extract("3 hours ago", fetched_at=datetime(2025, 1, 1, 1, 0, tzinfo=UTC))
    assert fields["published_at"] == "2024-12-31T22:00:00+00:00"


def test_without_a_fetch_time_nothing_is_recorded():
    fields = extract("3 hours ago", fetched_at=None)
    assert fields["published_at"] is None and "published_at" not in fields["provenance"]


@pytest.mark.parametrize(
    ("parts", "iso", "source"),
    [
        (
            {"head": '<meta property="article:published_time" content="2024-03-01T10:00:00Z">'},
            "2024-03-01T10:00:00+00:00",
            "opengraph",
        ),
        (
            {"after": '<time datetime="2024-03-01T10:00:00Z">March 1</time>'},
            "2024-03-01T10:00:00+00:00",
            "time",
        ),
        ({"url": "https://gossip.example/2024/03/01/star/"}, "2024-03-01", "url"),
    ],
)
def test_an_absolute_date_is_preferred(parts, iso, source):
    fields = extract("3 hours ago", **parts)
    assert (fields["published_at"], fields["provenance"]["published_at"]) == (iso, source)


def test_updated_relative_is_the_modification_date():
    fields = extract("Updated 2 hours ago · Published 3 hours ago")
    assert fields["published_at"] == "2024-03-05T09:34:00+00:00"
    assert fields["modified_at"] == "2024-03-05T10:34:00+00:00"
    assert fields["provenance"]["modified_at"] == "relative"


@pytest.mark.parametrize(
    "line",
    [
        "She announced the tour 2 days ago.",  # a sentence, not a dateline
        "2 months ago",  # too coarse to record
        "il y a 3 heures",
    ],
)
def test_what_is_not_read(line):
    assert extract(line)["published_at"] is None


def test_a_comment_time_far_below_the_headline_is_not_the_article_date():
    comments = "".join(f"<div><p>Reader {n}</p><p>Great news!</p></div>" for n in range(60))
    after = f'<section class="comments">{comments}<p>5 minutes ago</p></section>'
    assert extract("By Jane Doe", after=after)["published_at"] is None


@pytest.fixture
def crawler(tmp_path, demo_config):
    sources, artists = demo_config
    settings = {
        "NEWSCRAWL_DB": str(tmp_path / "a.db"),
        "NEWSCRAWL_SOURCES": str(sources),
        "NEWSCRAWL_ARTISTS": str(artists),
        "NEWSCRAWL_EXTRACT_WORKERS": "0",
    }
    crawler = get_crawler(NewsSpider, settings)
    crawler.spider = crawler._create_spider()
    yield crawler
    CrawlSession.of(crawler).close("finished")


def run_extract_step(crawler, item: Page) -> Article:
    pipeline = ExtractPipeline.from_crawler(crawler)
    pipeline.open_spider()
    try:
        return asyncio.run(pipeline.process_item(item))
    finally:
        pipeline.close_spider()


def test_the_crawl_and_a_warc_replay_read_the_same_date(crawler, tmp_path):
    fetched = Page(
        url=UNDATED_URL,
        source_id="popwire",
        status=200,
        body=html("By Jane Doe · 3 hours ago"),
        headers={"Content-Type": "text/html; charset=utf-8"},
        request_url=UNDATED_URL,
        fetched_at=FETCHED,
    )
    crawled = run_extract_step(crawler, fetched)
    assert crawled.published_at == "2024-03-05T09:34:00+00:00"
    series = WarcSeries(tmp_path / "warc")
    series.write_response(fetched)
    series.close()
    # `newscrawl reextract` replays the record: its fetch time is the WARC-Date.
    (replayed,) = read_pages(tmp_path / "warc")
    assert replayed.fetched_at == FETCHED
    again = run_extract_step(crawler, replayed)
    assert (again.published_at, again.provenance["published_at"]) == (
        crawled.published_at,
        "relative",
    )


def test_manifest_rows_may_carry_the_fetch_time(tmp_path):
    (tmp_path / "page.html").write_bytes(html("3 hours ago"))
    rows = [
        {"path": "page.html", "url": UNDATED_URL, "fetched_at": FETCHED},
        {"path": "page.html", "url": UNDATED_URL},
    ]
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    dates = [json.loads(line)["published_at"] for line in result.stdout.splitlines()]
    assert dates == ["2024-03-05T09:34:00+00:00", None]


def test_a_manifest_fetch_time_that_is_not_a_time_names_the_row(tmp_path):
    (tmp_path / "page.html").write_bytes(html("3 hours ago"))
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text(json.dumps({"path": "page.html", "fetched_at": "soon"}) + "\n")
    result = CliRunner().invoke(main, ["extract", "--manifest", str(manifest)])
    assert result.exit_code != 0
    assert f'{manifest}:1: "fetched_at" must be an ISO 8601 date-time' in result.output


def test_an_update_days_ago_on_the_publication_day_counts():
    # "2 days ago" is a date; the page was published later that same day.
    head = '<meta property="article:published_time" content="2024-03-03T18:00:00Z">'
    fields = extract("Updated 2 days ago", head=head)
    assert (fields["modified_at"], fields["provenance"]["modified_at"]) == (
        "2024-03-03",
        "relative",
    )


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="article:published_time" content="2024-03-09T10:00:00+00:00">',
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "datePublished": "2024-03-09T10:00:00Z"}</script>',
    ],
)
def test_a_date_after_the_fetch_is_refused_as_in_the_crawl(head):
    # A date four days after the fetch was "in the future" when the crawl read the page,
    # and is refused; re-extracting the WARC record later, once that day has passed,
    # must refuse it too. It was judged against the clock: accepted by any later replay.
    fields = extract("", head=head)
    assert fields["published_at"] != "2024-03-09T10:00:00+00:00"
    # Without a fetch time the clock is the limit, as before: that day is long past.
    assert extract("", head=head, fetched_at=None)["published_at"] == "2024-03-09T10:00:00+00:00"
