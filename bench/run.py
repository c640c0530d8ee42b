"""Run every benchmark and end with one JSON line of the headline figures.

    .venv/bin/python bench/run.py --quick    # make bench: quick sizes, a few minutes
    .venv/bin/python bench/run.py            # make bench-full: full sizes (see docs/benchmarks.md)
    .venv/bin/python bench/run.py --quick --only crawl,store

Each bench prints its own JSON and one summary line as it finishes; the last line printed
here is a JSON object with ``crawl_ratio``, ``extract_ratio``, ``tag_ratio``,
``store_ratio``, ``search_p95_ms`` and ``peak_rss_mb`` (plus the goals, the machine and
how long each bench took). The whole record is also written to
``bench/results/run-<quick|full>-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import from the repository, not from bench/ (whose datasette.py
    # would shadow the datasette package).
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.common import RESULTS, machine

# (bench module, headline key in the final line, key in the bench's result, goal)
BENCHES = (
    ("extract", "extract_ratio", "ratio", "≤ 1.5"),
    ("tag", "tag_ratio", "cost_ratio", "≤ 2.0"),
    ("store", "store_ratio", "ratio", "≥ 0.5"),
    ("crawl", "crawl_ratio", "ratio", "≥ 0.7"),
    ("memory", "peak_rss_mb", "peak_rss_mb", "≤ 400"),
    ("datasette", "search_p95_ms", "search_p95_ms", "≤ 100"),
    # Redis scale-out: two workers vs one on this one machine (extraction already uses
    # both cores, so ~1 is expected here; workers on separate machines is the use case).
    ("scale", "scale_ratio", "ratio", "> 1 across machines"),
)


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the benches; print the headline JSON line last; return it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick sizes (make bench)")
    parser.add_argument("--only", default="", help="comma-separated benches to run (default: all)")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    headline: dict = {"mode": "quick" if args.quick else "full"}
    record: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "benches": {}}
    durations: dict[str, float] = {}
    for name, key, result_key, goal in BENCHES:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"\n== {name} ==", flush=True)
        begin = time.perf_counter()
        try:
            result = module.main(["--quick"] if args.quick else [])
        except (Exception, SystemExit) as error:  # one failed bench must not hide the rest
            traceback.print_exc()
            result = {"error": f"{type(error).__name__}: {error}"}
        durations[name] = round(time.perf_counter() - begin, 1)
        record["benches"][name] = result
        headline[key] = result.get(result_key)
        headline[f"{key}_goal"] = goal
    datasette = record["benches"].get("datasette") or {}
    if datasette.get("articles"):
        headline["search_archive_articles"] = datasette["articles"]
        # The baseline of search_p95_ms: bare SQLite ranking the same searches.
        headline["search_sqlite_floor_p95_ms"] = datasette.get("sqlite_floor_rank_p95_ms")
    crawl = record["benches"].get("crawl") or {}
    if crawl.get("articles"):
        headline["crawl_articles"] = crawl["articles"]
    headline["seconds"] = durations
    headline["machine"] = machine()
    record["headline"] = headline
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"run-{headline['mode']}-{stamp}.json").write_text(
        json.dumps(record, indent=2, default=str)
    )
    print(json.dumps(headline, default=str), flush=True)
    return headline


if __name__ == "__main__":
    main(sys.argv[1:])
