"""Benchmark: extractor cost per page against plain trafilatura, same pages, same run.

Times ``newscrawl.extract.extract_article`` and ``trafilatura.bare_extraction(...,
with_metadata=True)`` over the real pages of the shared corpus (``fundus-dev``), in
several rounds that alternate which one goes first; reports the median round in
milliseconds per page and the ratio (goal: ≤ 1.5). Prints JSON, then one summary line.

    .venv/bin/python bench/extract.py            # 5 rounds
    .venv/bin/python bench/extract.py --quick    # 2 rounds

The corpus is ``$NEWSCRAWL_CORPUS/fundus-dev`` (default ``../shared/corpus`` next to
the repository). Quality figures: ``bench/extract_quality.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL = 1.5


def corpus_pages() -> list[tuple[bytes, str]]:
    """``(html, url)`` of every page in the dev corpus."""
    from newscrawl.extract.evaluate import dev_set, load_truth

    try:
        folder = dev_set(REPO)
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    return [((folder / row["file"]).read_bytes(), row["url"]) for row in load_truth(folder)]


def ours(html: bytes, url: str) -> object:
    from newscrawl.extract import ExtractError, extract_article

    try:
        return extract_article(html, url)
    except ExtractError:
        return None


def trafilatura_baseline(html: bytes, url: str) -> object:
    import trafilatura

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return trafilatura.bare_extraction(html, url=url, with_metadata=True)


def _round(function: Callable, pages: Sequence[tuple[bytes, str]]) -> tuple[float, list[float]]:
    each = []
    start = time.perf_counter()
    for html, url in pages:
        begin = time.perf_counter()
        function(html, url)
        each.append(time.perf_counter() - begin)
    return time.perf_counter() - start, each


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the benchmark; returns the figures it prints."""
    parser = argparse.ArgumentParser(description="extract_article vs trafilatura, ms/page")
    parser.add_argument("--quick", action="store_true", help="2 rounds instead of 5")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    pages = corpus_pages()
    for function in (ours, trafilatura_baseline):  # imports and first-call caches
        function(*pages[0])
    totals: dict[str, list[float]] = {"newscrawl": [], "trafilatura": []}
    per_page: list[float] = []
    for number in range(rounds):
        order = [("newscrawl", ours), ("trafilatura", trafilatura_baseline)]
        for name, function in order if number % 2 == 0 else reversed(order):
            total, each = _round(function, pages)
            totals[name].append(total)
            if name == "newscrawl":
                per_page.extend(each)
    ms = {name: statistics.median(values) / len(pages) * 1000 for name, values in totals.items()}
    per_page.sort()
    result = {
        "benchmark": "extract",
        "pages": len(pages),
        "rounds": rounds,
        "bytes_per_page": round(sum(len(h) for h, _ in pages) / len(pages)),
        "newscrawl_ms_per_page": round(ms["newscrawl"], 2),
        "trafilatura_ms_per_page": round(ms["trafilatura"], 2),
        "newscrawl_p95_ms": round(per_page[int(0.95 * (len(per_page) - 1))] * 1000, 2),
        "ratio": round(ms["newscrawl"] / ms["trafilatura"], 3),
        "goal_ratio": GOAL,
    }
    print(json.dumps(result, indent=2))
    verdict = "ok" if result["ratio"] <= GOAL else "over goal"
    print(
        f"extract: {result['newscrawl_ms_per_page']} ms/page vs trafilatura "
        f"{result['trafilatura_ms_per_page']} ms/page on {len(pages)} pages: ratio "
        f"{result['ratio']} (goal ≤ {GOAL}, {verdict})"
    )
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
