"""The benchmarks at toy size: every bench module imports, its builders produce correct
data, its parsers read what Scrapy and the ledger print. No timing is asserted here;
the figures are printed by ``make bench`` (docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
import importlib
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from archive_fixtures import config_with_defer_above, fts_segments

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

BENCHES = ("common", "bare_spider", "crawl", "store", "datasette", "memory", "run")


@pytest.fixture(scope="module")
def corpus():
    return common.SyntheticCorpus(sentences=2_000)


@pytest.mark.parametrize("name", BENCHES)
def test_bench_modules_import(name):
    module = importlib.import_module(f"bench.{name}")
    assert module.__doc__
    if name not in ("common", "bare_spider"):
        assert callable(module.main)


def test_run_lists_every_bench_with_a_main():
    run = importlib.import_module("bench.run")
    headline = {key for _, key, _, _ in run.BENCHES}
    assert headline == {
        "crawl_ratio",
        "extract_ratio",
        "tag_ratio",
        "store_ratio",
        "search_p95_ms",
        "peak_rss_mb",
        "scale_ratio",
    }
    for name, *_ in run.BENCHES:
        assert callable(importlib.import_module(f"bench.{name}").main)


def test_synthetic_articles_are_realistic_and_deterministic(corpus):
    articles = [corpus.article(i) for i in range(1, 200)]
    assert articles[5] == common.SyntheticCorpus(sentences=2_000).article(6)
    artist_ids = {a.id for a in corpus.artists}
    for article in articles:
        assert 300 <= article["word_count"] <= 700
        assert 1 <= len(article["mentions"]) <= 3
        names = json.loads(article["artists"])
        assert names == [m["artist"] for m in article["mentions"]]
        for mention in article["mentions"]:
            assert mention["artist_id"] in artist_ids
            offset = mention["first_offset"]
            assert article["body"][offset : offset + len(mention["artist"])] == mention["artist"]
        assert article["published_month"] == article["published_at"][:7]
    # Zipf: the most popular artist is mentioned far more often than the tenth.
    counts = {}
    for article in articles:
        for mention in article["mentions"]:
            counts[mention["artist_id"]] = counts.get(mention["artist_id"], 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    assert ranked[0] > 3 * ranked[min(9, len(ranked) - 1)]


def test_datasette_builder_writes_the_real_schema(tmp_path, corpus):
    from newscrawl import schema
    from newscrawl.store import Archive, open_readonly

    datasette_bench = importlib.import_module("bench.datasette")
    path = tmp_path / "archive.db"
    info = datasette_bench.build_archive(path, 300, corpus=corpus, chunk=70)
    assert info["articles"] == 300
    open_readonly(path).close()  # a newscrawl archive
    Archive(tmp_path / "fresh.db").close()

    def objects(db):
        conn = sqlite3.connect(db)
        try:
            return sorted(
                conn.execute("select type, name, sql from sqlite_master where sql is not null")
            )
        finally:
            conn.close()

    assert objects(path) == objects(tmp_path / "fresh.db")  # same indexes, triggers, views

    def planner_statistics(db):  # dropping an index drops its rows: they must come back
        conn = sqlite3.connect(db)
        try:
            return sorted(conn.execute("select * from sqlite_stat1"))
        finally:
            conn.close()

    assert planner_statistics(path) == planner_statistics(tmp_path / "fresh.db") != []
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("insert into articles_fts (articles_fts) values ('integrity-check')")
        assert conn.execute("select count(*) from articles").fetchone()[0] == 300
        assert conn.execute("select count(*) from articles_fts").fetchone()[0] == 300
        coverage = sorted(conn.execute("select * from coverage_by_month"))
        pairs = sorted(conn.execute("select * from co_mentions"))
        assert pairs  # the synthetic articles co-mention artists
        conn.execute("begin")
        schema.refresh_derived(conn)
        assert sorted(conn.execute("select * from coverage_by_month")) == coverage
        assert sorted(conn.execute("select * from co_mentions")) == pairs
        conn.execute("rollback")
        hits = conn.execute(
            "select count(*) from articles_fts where articles_fts match ?",
            [corpus.artists[0].name.split()[0]],
        ).fetchone()[0]
        assert hits > 0
    finally:
        conn.close()
    terms = datasette_bench.search_terms(path)
    assert set(terms) == {"common", "rare", "phrase"}
    values = datasette_bench.facet_values(path)
    assert conn_count(path, "source_id", values["publisher"]) > 0
    assert conn_count(path, "published_month", values["month"]) > 0
    plan = datasette_bench.requests_to_time(terms, "Britney Spears", values)
    assert {kind for _, kind, _ in plan} == {"search", "facet", "canned", "chart"}


def conn_count(path, column, value) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            f"select count(*) from articles where {column} = ?", [value]
        ).fetchone()[0]
    finally:
        conn.close()


def test_datasette_answers_every_timed_request(tmp_path, corpus):
    datasette_bench = importlib.import_module("bench.datasette")
    path = tmp_path / "archive.db"
    datasette_bench.build_archive(path, 200, corpus=corpus)
    plan = datasette_bench.requests_to_time(
        datasette_bench.search_terms(path),
        corpus.artists[0].name,
        datasette_bench.facet_values(path),
    )
    results = asyncio.run(datasette_bench._time_requests(path, plan, repeats=1))
    assert [r["status"] for r in results] == [200] * len(plan)
    assert not [r["name"] for r in results if r["error"]]
    # Facets left off any timed response are counted per facet (none on 200 articles).
    assert all(r["facet_timeouts"] == {} and r["facets_timed_out"] == [] for r in results)
    by_name = {r["name"]: r for r in results}
    assert by_name["coverage_artist"]["rows"] > 0 and by_name["canned_search_common"]["rows"] > 0
    for name in ("artist_articles", "artist_articles_date", "publisher_share"):
        assert by_name[name]["rows"] > 0, name
    assert by_name["articles_about_both"]["rows"] > 0 and by_name["both_selected"]["rows"] > 0
    assert by_name["co_mentions"]["rows"] > 0 and by_name["co_mentions_artist"]["rows"] > 0
    assert by_name["mentions_table"]["rows"] > 0 and by_name["database_page"]["status"] == 200
    floor = datasette_bench.sqlite_floor(path, datasette_bench.search_terms(path), repeats=2)
    assert set(floor) == {
        f"{query}_{term}"
        for query in ("rank_200", "count")
        for term in ("common", "rare", "phrase")
    }
    assert all(0 <= v["p50_ms"] <= v["p95_ms"] for v in floor.values())


def test_store_bench_writes_the_same_archive_both_ways(tmp_path, corpus):
    store_bench = importlib.import_module("bench.store")
    articles = store_bench.corpus_articles(40, corpus)
    store_bench.time_store(tmp_path, articles, corpus)
    store_bench.time_raw(tmp_path, articles, corpus)
    assert store_bench.check_same_archive(tmp_path)


def test_bare_spider_requests_every_listed_page_in_its_source_slot(tmp_path):
    bare = importlib.import_module("bench.bare_spider")
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "popwire http://127.0.0.1:1/2026/01/a/\nlegacy http://127.0.0.1:2/story.asp?id=1\n"
    )
    spider = bare.BareSpider(urls_file=str(urls))

    async def collect():
        return [request async for request in spider.start()]

    requests = asyncio.run(collect())
    assert [(r.url, r.meta["download_slot"]) for r in requests] == [
        ("http://127.0.0.1:1/2026/01/a/", "popwire"),
        ("http://127.0.0.1:2/story.asp?id=1", "legacy"),
    ]
    assert bare.BareSpider.custom_settings == {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}


def test_crawl_log_parsers():
    memory = importlib.import_module("bench.memory")
    log = (
        "2026-11-25 01:00:00 [newscrawl.ledger] INFO: Progress: 10 discovered, 10 requested,"
        " 100 fetched, 0 skipped, 5 archived (5 new), 1 dropped\n"
        "2026-11-25 01:00:05 [scrapy.statscollectors] INFO: Dumping Scrapy stats:\n"
        "{'elapsed_time_seconds': 12.5,\n 'newscrawl/fetched': 2000,\n"
        " 'finish_reason': 'finished',\n 'memusage/max': 97894400}\n"
    )
    stats = common.parse_stats(log)
    assert stats["elapsed_time_seconds"] == 12.5 and stats["newscrawl/fetched"] == 2000
    assert stats["memusage/max"] == 97894400 and "finish_reason" not in stats
    (point,) = memory.progress_points(log)
    assert point[1] == 100
    # RSS rising 2 MB per 1,000 pages over the second half is reported as 2 MB.
    progress = [(1000.0 + i, 1000 * i) for i in range(1, 11)]
    series = [(t + 0.5, 0.0, 100 + 2 * pages / 1000) for t, pages in progress]
    assert memory.growth_per_1000_pages(series, progress) == pytest.approx(2.0)


def test_demo_site_process_serves_and_lists_the_catalogue(tmp_path):
    with common.DemoSiteProcess(40, workdir=tmp_path) as site:
        count = site.write_article_urls(tmp_path / "urls.txt")
        lines = (tmp_path / "urls.txt").read_text().split("\n")
        source_id, url = lines[0].split(" ", 1)
        assert count == 40 and source_id in site.base_urls
        assert url.startswith(site.base_urls[source_id].rstrip("/"))
        import urllib.request

        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"<html" in response.read().lower()
    assert site.process.poll() is not None


def test_datasette_times_the_facet_counts_a_page_leaves_to_its_script(tmp_path, corpus):
    # At 200 articles no selection passes the shipped defer_above_rows: lower it to 0.
    datasette_bench = importlib.import_module("bench.datasette")
    path = tmp_path / "archive.db"
    datasette_bench.build_archive(path, 200, corpus=corpus)
    plan = [
        (
            "search_common",
            "search",
            "/archive/articles?_search=" + datasette_bench.search_terms(path)["common"],
        ),
        ("table_page", "facet", "/archive/articles"),
    ]
    results = asyncio.run(
        datasette_bench._time_requests(
            path, plan, repeats=1, config_dir=config_with_defer_above(tmp_path, 0)
        )
    )
    assert [r["name"] for r in results] == ["search_common", "search_common_facets", "table_page"]
    search, counts, table = results
    assert search.get("facets_deferred") and not table.get("facets_deferred")
    assert counts["kind"] == "deferred_facets" and counts["headers"] == {
        "X-Newscrawl-Facets": "inline"
    }
    assert (
        counts["status"] == 200 and counts["error"] is None and counts["rows"] == search["rows"] > 0
    )


def test_datasette_published_copy_is_the_recipes_copy(tmp_path, corpus):
    # --published times what docs/datasette.md's recipe makes: the same rows, the
    # full-text index in one piece, no WAL, built once and then taken from its cache.
    datasette_bench = importlib.import_module("bench.datasette")
    folder = tmp_path / "datasette-200-key"
    folder.mkdir()
    path = folder / "archive.db"
    datasette_bench.build_archive(path, 200, corpus=corpus, chunk=30)
    copy, info = datasette_bench.published_copy(path)
    assert copy.parent.name == "datasette-200-key-published" and not info["cached"]
    term = datasette_bench.search_terms(path)["common"]
    answers = {}
    for db in (path, copy):
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            answers[db] = (
                conn.execute("select * from articles order by id").fetchall(),
                conn.execute(
                    "select rowid from articles_fts where articles_fts match ?"
                    " order by bm25(articles_fts), rowid",
                    [term],
                ).fetchall(),
                conn.execute("pragma journal_mode").fetchone()[0],
            )
        finally:
            conn.close()
    rows, ranked, journal = answers[copy]
    assert (rows, ranked) == answers[path][:2] and ranked
    assert fts_segments(copy) == 1 and journal == "delete"
    assert datasette_bench.published_copy(path) == (copy, {**info, "cached": True})
