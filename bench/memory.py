"""Benchmark: peak memory of a large crawl, and whether anything grows with every page.

Crawls the scaled demo site (``newscrawl demo-site --articles N``, its own process) with
the full ``news`` pipeline into a fresh archive, polling the crawl's process tree (the
crawl, the forkserver and the extraction workers) with psutil every 0.25 s. Reports the
peak of the summed RSS (shared pages counted once per process, so an upper bound; the
goal is ≤ 400 MB) and of the summed PSS (shared pages divided among their sharers), the
peak per process, and the growth of the crawl process's RSS per 1,000 pages fetched: a
least-squares slope over the second half of the crawl, against the page counts of the
progress lines the ledger logs every second.

    .venv/bin/python bench/memory.py --quick     # 2,000 pages
    .venv/bin/python bench/memory.py             # 20,000 pages (a few minutes)
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import from the repository, not from bench/.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.common import CRAWL_SETTINGS, DemoSiteProcess, emit, machine, run_scrapy

GOAL_MB = 400.0
_PROGRESS = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \[newscrawl\.ledger\] INFO: Progress: .*?(\d+) fetched"
)


def progress_points(log: str) -> list[tuple[float, int]]:
    """(Unix time, pages fetched) of every progress line of a crawl log."""
    points = []
    for line in log.splitlines():
        match = _PROGRESS.match(line)
        if match:
            moment = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").astimezone()
            points.append((moment.timestamp(), int(match.group(2))))
    return points


def growth_per_1000_pages(series, progress) -> float | None:
    """Slope (MB per 1,000 pages) of the crawl process's RSS against pages fetched, over
    the second half of the crawl (after the start-up and the discovery burst)."""
    pairs = []
    for moment, pages in progress:
        near = [rss for t, _, rss in series if moment <= t < moment + 1.0]
        if near and pages:
            pairs.append((pages, max(near)))
    pairs = [p for p in pairs if p[0] >= max(p[0] for p in pairs) / 2] if pairs else []
    if len(pairs) < 3:
        return None
    mean_x = sum(x for x, _ in pairs) / len(pairs)
    mean_y = sum(y for _, y in pairs) / len(pairs)
    spread = sum((x - mean_x) ** 2 for x, _ in pairs)
    if not spread:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in pairs) / spread
    return round(slope * 1000, 2)


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the benchmark; print JSON and a summary line; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 pages")
    parser.add_argument("--pages", type=int, default=None, help="articles served")
    args = parser.parse_args(argv)
    pages = args.pages or (2_000 if args.quick else 20_000)
    with tempfile.TemporaryDirectory(prefix="newscrawl-bench-memory-") as tmp:
        folder = Path(tmp)
        with DemoSiteProcess(pages, workdir=folder) as site:
            run = run_scrapy(
                ["crawl", "news"],
                settings={
                    **CRAWL_SETTINGS,
                    "NEWSCRAWL_PROGRESS_INTERVAL": "1",
                    "NEWSCRAWL_DB": str(folder / "archive.db"),
                    "NEWSCRAWL_SOURCES": str(site.sources),
                    "NEWSCRAWL_ARTISTS": str(site.artists),
                },
                log_path=folder / "crawl.log",
                sample_interval=0.25,
                pss=True,
            )
            log = run.log_path.read_text(errors="replace")
    tree = run.tree
    fetched = int(run.stats.get("newscrawl/fetched", 0))
    by_kind: dict[str, float] = {}
    for pid, peak in tree.peak_rss_by_pid.items():
        kind = tree.names.get(pid, "?")
        by_kind[kind] = max(by_kind.get(kind, 0.0), peak)
    crawl_start = next((rss for _, _, rss in tree.series if rss), 0.0)
    crawl_peak = max((rss for _, _, rss in tree.series), default=0.0)
    growth = growth_per_1000_pages(tree.series, progress_points(log))
    result = {
        "benchmark": "memory",
        "pages": pages,
        "fetched": fetched,
        "archived": int(run.stats.get("newscrawl/archived", 0)),
        "elapsed_s": round(run.elapsed, 1),
        "peak_rss_mb": round(tree.peak_rss_mb, 1),
        "peak_pss_mb": round(tree.peak_pss_mb, 1),
        "goal_peak_rss_mb": GOAL_MB,
        "processes": tree.peak_processes,
        "peak_rss_mb_by_process": by_kind,
        "crawl_rss_first_sample_mb": crawl_start,
        "crawl_rss_peak_mb": crawl_peak,
        "crawl_growth_mb_per_1000_pages": growth,
        "growth_note": (
            "second half of a short crawl: mostly the extraction backlog filling up"
            if pages < 10_000
            else "second half of the crawl, after discovery and the backlog settled"
        ),
        "scrapy_memusage_max_mb": round(run.stats.get("memusage/max", 0) / 2**20, 1),
        "machine": machine(),
    }
    verdict = "ok" if tree.peak_rss_mb <= GOAL_MB else "over goal"
    return emit(
        result,
        f"memory: {fetched} pages crawled, peak RSS {tree.peak_rss_mb:.0f} MB over "
        f"{tree.peak_processes} processes (PSS {tree.peak_pss_mb:.0f} MB; goal ≤ {GOAL_MB:.0f}, "
        f"{verdict}); crawl process peak {crawl_peak:.0f} MB, growth "
        f"{growth if growth is not None else '?'} MB per 1,000 pages"
        + (" (too short for a steady state)" if pages < 10_000 else ""),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
