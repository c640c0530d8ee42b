"""Benchmark: pages/s of the full ``news`` crawl against a bare Scrapy fetch of the same pages.

Serves the scaled demo site (``newscrawl demo-site --articles N``) from its own process,
then alternates, in one run, two crawls with the same settings (same concurrency, no
delay, no AutoThrottle):

* ``bare``: ``bench/bare_spider.py`` fetches the N article pages and discards them;
* ``full``: ``scrapy crawl news`` into a fresh archive: discovery (sitemaps, feeds,
  listings, artist pages), WARC, extraction in worker processes, tagging, dedupe, store.

Pages/s is article pages fetched / Scrapy's ``elapsed_time_seconds``; the best round of
each is kept (other work on the machine only ever slows a round down). The ratio
full/bare is the figure (goal: ≥ 0.7). CPU per page of the crawl process, its
extraction workers and the demo server come from psutil samples of each process tree.

    .venv/bin/python bench/crawl.py --quick          # 2,000 articles, 2 rounds
    .venv/bin/python bench/crawl.py                  # 10,000 articles, 3 rounds
    .venv/bin/python bench/crawl.py --articles 5000 --rounds 2 --setting CONCURRENT_ITEMS=100
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import from the repository, not from bench/ (whose datasette.py
    # would shadow the datasette package).
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.common import CRAWL_SETTINGS, REPO, DemoSiteProcess, emit, machine, run_scrapy

GOAL = 0.7


def _settings(pairs: Sequence[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        settings[name] = value
    return settings


def crawl_bare(site: DemoSiteProcess, urls: Path, workdir: Path, extra: dict) -> dict:
    """One bare fetch of the article pages; returns its figures."""
    cpu_before = site.cpu_seconds()
    run = run_scrapy(
        ["runspider", str(REPO / "bench" / "bare_spider.py"), "-a", f"urls_file={urls}"],
        settings={**CRAWL_SETTINGS, **extra},
        log_path=workdir / "bare.log",
    )
    pages = int(run.stats.get("bare/article_pages", 0))
    return _figures("bare", run, pages, site.cpu_seconds() - cpu_before)


def crawl_full(site: DemoSiteProcess, workdir: Path, number: int, extra: dict) -> dict:
    """One ``news`` crawl into a fresh archive; returns its figures."""
    folder = workdir / f"full-{number}"
    folder.mkdir()
    cpu_before = site.cpu_seconds()
    run = run_scrapy(
        ["crawl", "news"],
        settings={
            **CRAWL_SETTINGS,
            "NEWSCRAWL_DB": str(folder / "archive.db"),
            "NEWSCRAWL_SOURCES": str(site.sources),
            "NEWSCRAWL_ARTISTS": str(site.artists),
            **extra,
        },
        log_path=folder / "crawl.log",
    )
    pages = int(run.stats.get("newscrawl/fetched", 0))
    figures = _figures("full", run, pages, site.cpu_seconds() - cpu_before)
    figures["archived"] = int(run.stats.get("newscrawl/archived", 0))
    figures["dropped"] = int(run.stats.get("newscrawl/dropped", 0))
    figures["discovery_pages"] = int(run.stats.get("response_received_count", 0)) - pages
    return figures


def _figures(kind: str, run, pages: int, server_cpu: float) -> dict:
    per_page = 1000 / max(pages, 1)
    return {
        "kind": kind,
        "article_pages": pages,
        "elapsed_s": round(run.elapsed, 2),
        "wall_s": round(run.wall_seconds, 2),
        "pages_per_s": round(pages / run.elapsed, 1) if run.elapsed else 0.0,
        "crawl_cpu_ms_per_page": round(run.tree.root_cpu * per_page, 2),
        "workers_cpu_ms_per_page": round(run.tree.children_cpu * per_page, 2),
        "server_cpu_ms_per_page": round(server_cpu * per_page, 2),
        "peak_rss_mb": round(run.tree.peak_rss_mb, 1),
    }


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the benchmark; print JSON and a summary line; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles, 2 rounds")
    parser.add_argument("--articles", type=int, default=None, help="articles served")
    parser.add_argument("--rounds", type=int, default=None, help="bare/full pairs")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Scrapy setting for both crawls (repeatable)",
    )
    args = parser.parse_args(argv)
    articles = args.articles or (2_000 if args.quick else 10_000)
    rounds = args.rounds or (2 if args.quick else 3)
    extra = _settings(args.setting)
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="newscrawl-bench-crawl-") as tmp:
        workdir = Path(tmp)
        with DemoSiteProcess(articles, workdir=workdir) as site:
            urls = workdir / "article-urls.txt"
            expected = site.write_article_urls(urls)
            for number in range(rounds):
                # Alternate which goes first, so neither always meets a warmer server.
                order = ("bare", "full") if number % 2 == 0 else ("full", "bare")
                for kind in order:
                    if kind == "bare":
                        runs.append(crawl_bare(site, urls, workdir, extra))
                    else:
                        runs.append(crawl_full(site, workdir, number, extra))
    bare = [r for r in runs if r["kind"] == "bare"]
    full = [r for r in runs if r["kind"] == "full"]
    best_bare = max(bare, key=lambda r: r["pages_per_s"])
    best_full = max(full, key=lambda r: r["pages_per_s"])
    ratio = best_full["pages_per_s"] / best_bare["pages_per_s"]
    median_ratio = statistics.median(f["pages_per_s"] for f in full) / statistics.median(
        b["pages_per_s"] for b in bare
    )
    result = {
        "benchmark": "crawl",
        "articles": articles,
        "expected_article_pages": expected,
        "rounds": rounds,
        "settings": {**CRAWL_SETTINGS, **extra},
        "bare_pages_per_s": best_bare["pages_per_s"],
        "full_pages_per_s": best_full["pages_per_s"],
        "ratio": round(ratio, 3),
        "median_ratio": round(median_ratio, 3),
        "goal_ratio": GOAL,
        "runs": runs,
        "machine": machine(),
    }
    verdict = "ok" if ratio >= GOAL else "under goal"
    return emit(
        result,
        f"crawl: full news pipeline {best_full['pages_per_s']} pages/s vs bare Scrapy "
        f"{best_bare['pages_per_s']} pages/s on {articles} articles (best of {rounds}): "
        f"ratio {ratio:.2f} (goal ≥ {GOAL}, {verdict}); crawl process "
        f"{best_full['crawl_cpu_ms_per_page']} vs {best_bare['crawl_cpu_ms_per_page']} "
        f"CPU ms/page, workers {best_full['workers_cpu_ms_per_page']} ms/page",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
