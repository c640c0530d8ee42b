"""Benchmark: crawl throughput of one Redis-mode worker against two, in one run.

Serves the scaled demo site (``DemoSites(port=0, articles=N)``) and a local
redis-server, then crawls the whole site five times, each into a fresh archive with a
fresh Redis:

* ``local``: one ordinary ``scrapy crawl news`` writing SQLite (what Redis mode costs);
* ``one``: one worker with ``NEWSCRAWL_REDIS_URL`` and one ``newscrawl ingest``;
* ``two``: two workers sharing the frontier and one ``newscrawl ingest``, then again
  with the cores split between their extraction pools (``two_split``);
* ``queue_only`` then ``ingest_only``: one worker with no ingester running, then the
  ingester alone draining what it queued (how many workers one writer can keep up with).

Pages/s is article pages fetched / wall-clock seconds from the first worker's start to
the moment every message is committed (process start-up included, the same for all).
The figure is the ratio two/one. Every process shares this machine's cores (printed
with the figures): a worker's extraction pool already uses all of them, so on one
machine the ratio shows the cost of a second process, and the gain of scale-out comes
from workers on separate machines, up to what one ingester drains.

    .venv/bin/python bench/scale.py --quick      # 1,000 articles
    .venv/bin/python bench/scale.py              # 5,000 articles
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import from the repository, not from bench/ (whose datasette.py
    # would shadow the datasette package).
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import redis

from newscrawl.demo import server as demo_server
from newscrawl.scale.local import RedisServer

REPO = Path(__file__).resolve().parents[1]
SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
    "NEWSCRAWL_PROGRESS_INTERVAL": "0",
}
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def _crawl_command(settings: dict[str, str]) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def _pages(db: Path) -> tuple[int, int]:
    """(article pages fetched, articles archived) according to the archive."""
    conn = sqlite3.connect(db)
    try:
        fetched = conn.execute("select coalesce(sum(pages_fetched), 0) from crawl_runs").fetchone()
        archived = conn.execute("select count(*) from articles").fetchone()
    finally:
        conn.close()
    return int(fetched[0]), int(archived[0])


def run_local(folder: Path, config: dict[str, str]) -> dict:
    """One ordinary crawl into SQLite."""
    db = folder / "local.db"
    settings = {**SETTINGS, **config, "NEWSCRAWL_DB": str(db)}
    started = time.monotonic()
    with open(folder / "local.log", "wb") as log:
        subprocess.run(
            _crawl_command(settings),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=ENV,
            check=True,
        )
    seconds = time.monotonic() - started
    pages, archived = _pages(db)
    return {
        "workers": 1,
        "seconds": round(seconds, 2),
        "pages": pages,
        "archived": archived,
        "pages_per_s": round(pages / seconds, 1),
    }


def run_redis(
    folder: Path, config: dict[str, str], url: str, workers: int, *, name: str = ""
) -> dict:
    """``workers`` Redis-mode crawls and one ingester, from a clean Redis."""
    client = redis.Redis.from_url(url)
    client.flushall()
    name = name or f"redis-{workers}"
    db = folder / f"{name}.db"
    settings = {**SETTINGS, **config, "NEWSCRAWL_REDIS_URL": url}
    started = time.monotonic()
    processes = []
    for number in range(workers):
        worker_settings = {**settings, "NEWSCRAWL_WARC_DIR": str(folder / f"{name}-warc-{number}")}
        log = open(folder / f"{name}-worker-{number}.log", "wb")  # noqa: SIM115
        processes.append(
            (
                subprocess.Popen(
                    _crawl_command(worker_settings),
                    cwd=REPO,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=ENV,
                ),
                log,
            )
        )
    while not client.get("news:runs"):  # the ingester counts idle time once a run started
        time.sleep(0.05)
    ingest_log = open(folder / f"{name}-ingest.log", "wb")  # noqa: SIM115
    ingester = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newscrawl",
            "ingest",
            "--redis",
            url,
            "--db",
            str(db),
            "--idle-exit",
            "1",
        ],
        cwd=REPO,
        stdout=ingest_log,
        stderr=subprocess.STDOUT,
        env=ENV,
    )
    for process, log in processes:
        if process.wait() != 0:
            raise SystemExit(f"a worker failed; see {log.name}")
        log.close()
    crawled = time.monotonic() - started
    # Drained: the queue and the ingester's processing list are empty.
    while client.llen("news:items") or client.llen("news:items:processing"):
        time.sleep(0.02)
    seconds = time.monotonic() - started
    if ingester.wait() != 0:
        raise SystemExit(f"the ingester failed; see {ingest_log.name}")
    ingest_log.close()
    client.close()
    pages, archived = _pages(db)
    return {
        "workers": workers,
        "seconds": round(seconds, 2),
        "crawl_seconds": round(crawled, 2),
        "pages": pages,
        "archived": archived,
        "pages_per_s": round(pages / seconds, 1),
    }


def run_queue_then_ingest(folder: Path, config: dict[str, str], url: str) -> tuple[dict, dict]:
    """One worker filling the queue alone, then the ingester draining it alone."""
    client = redis.Redis.from_url(url)
    client.flushall()
    settings = {
        **SETTINGS,
        **config,
        "NEWSCRAWL_REDIS_URL": url,
        "NEWSCRAWL_WARC_DIR": str(folder / "queue-warc"),
    }
    started = time.monotonic()
    with open(folder / "queue-worker.log", "wb") as log:
        subprocess.run(
            _crawl_command(settings),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=ENV,
            check=True,
        )
    crawl_seconds = time.monotonic() - started
    messages = client.llen("news:items")
    db = folder / "ingest-only.db"
    with open(folder / "ingest-only.log", "wb") as log:
        ingester = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newscrawl",
                "ingest",
                "--redis",
                url,
                "--db",
                str(db),
                "--idle-exit",
                "0",
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
        # Timed from its first batch to the last commit: not its start-up, not its exit.
        while client.llen("news:items") == messages and ingester.poll() is None:
            time.sleep(0.005)
        started = time.monotonic()
        while client.llen("news:items") or client.llen("news:items:processing"):
            time.sleep(0.005)
        ingest_seconds = time.monotonic() - started
        if ingester.wait() != 0:
            raise SystemExit(f"the ingester failed; see {log.name}")
    client.close()
    pages, archived = _pages(db)
    queue_only = {
        "workers": 1,
        "seconds": round(crawl_seconds, 2),
        "pages": pages,
        "pages_per_s": round(pages / crawl_seconds, 1),
    }
    ingest_only = {
        "messages": messages,
        "archived": archived,
        "seconds": round(ingest_seconds, 2),
        "messages_per_s": round(messages / ingest_seconds, 1),
        "pages_per_s_equivalent": round(pages / ingest_seconds, 1),
    }
    return queue_only, ingest_only


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 articles instead of 5,000")
    parser.add_argument("--articles", type=int, help="scaled demo size (overrides --quick)")
    args = parser.parse_args(argv)
    articles = args.articles or (1_000 if args.quick else 5_000)

    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="newscrawl-bench-scale-") as tmp,
        demo_server.DemoSites(port=0, articles=articles) as sites,
        RedisServer() as redis_server,
    ):
        folder = Path(tmp)
        config = {
            "NEWSCRAWL_SOURCES": str(sites.write_sources(folder / "sources.yml")),
            "NEWSCRAWL_ARTISTS": str(sites.write_artists(folder / "artists.yml")),
            "NEWSCRAWL_WARC_DIR": str(folder / "local-warc"),
        }
        local = run_local(folder, config)
        one = run_redis(folder, config, redis_server.url, 1)
        two = run_redis(folder, config, redis_server.url, 2)
        # The same two workers with the machine's cores split between their extraction
        # pools (each pool defaults to one process per core).
        split = {**config, "NEWSCRAWL_EXTRACT_WORKERS": str(max(1, (os.cpu_count() or 2) // 2))}
        two_split = run_redis(folder, split, redis_server.url, 2, name="redis-2-split")
        queue_only, ingest_only = run_queue_then_ingest(folder, config, redis_server.url)
    ratio = round(two["pages_per_s"] / one["pages_per_s"], 2)
    capacity = round(ingest_only["pages_per_s_equivalent"] / queue_only["pages_per_s"], 1)
    result = {
        "bench": "scale",
        "articles": articles,
        "cpus": os.cpu_count(),
        # Other work on the machine slows every figure; the ratios are what to compare.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "python": platform.python_version(),
        "local": local,
        "one_worker": one,
        "two_workers": two,
        "two_workers_cores_split": two_split,
        "queue_only": queue_only,
        "ingest_only": ingest_only,
        "two_over_one": ratio,
        "ratio": ratio,  # the headline figure, under the key every bench uses
        "two_split_over_one": round(two_split["pages_per_s"] / one["pages_per_s"], 2),
        "one_over_local": round(one["pages_per_s"] / local["pages_per_s"], 2),
        "ingester_keeps_up_with_workers": capacity,
    }
    print(json.dumps(result, indent=2))
    print(
        f"scale: {articles} articles on {os.cpu_count()} cores: 1 worker {one['pages_per_s']}"
        f" pages/s, 2 workers {two['pages_per_s']} pages/s (+ ingester): {ratio}x"
        f" ({result['two_split_over_one']}x with the cores split);"
        f" local SQLite crawl {local['pages_per_s']} pages/s; one ingester drains"
        f" {ingest_only['pages_per_s_equivalent']} pages/s = {capacity} workers' output"
    )
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
