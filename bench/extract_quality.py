"""Extraction quality: newscrawl vs plain trafilatura, per field, same pages, same run.

Scores both on the shared corpus (``fundus-dev``) with the corpus README's metrics
(``newscrawl.extract.evaluate``): body F1 over 4-word shingles, title exact match,
author set F1, date same day. Also prints the figures for the publishers that were held
out while the extractor's rules were developed (``HELD_OUT``), as a check that the rules
carry over to pages they were not written against. Prints JSON, then a summary table.

    .venv/bin/python bench/extract_quality.py
    .venv/bin/python bench/extract_quality.py --pages   # plus one line per page
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIELDS = ("body_f1", "title", "authors_f1", "date")
# Publishers kept aside while writing the extractor's rules (11 publishers, 13 pages).
HELD_OUT = (
    "GlobalNews",
    "TheGlobeAndMail",
    "CNBC",
    "FoxNews",
    "OccupyDemocrats",
    "TechCrunch",
    "TheIntercept",
    "WashingtonTimes",
    "TheCitizen",
    "DurbanLocal",
    "VoiceOfAmerica",
)


def newscrawl_fields(html: bytes, url: str) -> dict:
    from newscrawl.extract import ExtractError, extract_article

    try:
        return extract_article(html, url)
    except ExtractError:
        return {}


def trafilatura_fields(html: bytes, url: str) -> dict:
    import trafilatura

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if document is None:
        return {}
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    author = found.get("author")
    return {
        "title": found.get("title"),
        "body": found.get("text"),
        "published_at": found.get("date"),
        "authors": [a.strip() for a in author.split(";")] if author else [],
    }


def main(argv: Sequence[str] | None = None) -> dict:
    """Score both extractors; returns the figures it prints."""
    from newscrawl.extract.evaluate import dev_set, evaluate, summarise

    parser = argparse.ArgumentParser(description="per-field quality vs trafilatura")
    parser.add_argument("--pages", action="store_true", help="print one line per page")
    args = parser.parse_args(argv)
    try:
        folder = dev_set(REPO)
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    result: dict = {"benchmark": "extract_quality", "corpus": "fundus-dev"}
    per_page = {}
    for name, function in (("newscrawl", newscrawl_fields), ("trafilatura", trafilatura_fields)):
        overall, scores = evaluate(folder, function)
        held = [s for s in scores if any(p in s.file for p in HELD_OUT)]
        developed = [s for s in scores if s not in held]
        result[name] = {
            "all": _rounded(overall),
            "developed_on": _rounded(summarise(developed)),
            "held_out": _rounded(summarise(held)),
        }
        per_page[name] = scores
    print(json.dumps(result, indent=2))
    print(f"\n{'':12}{'all pages':>24}{'held-out publishers':>28}")
    print(f"{'field':12}{'newscrawl':>12}{'trafilatura':>12}{'newscrawl':>14}{'trafilatura':>14}")
    for field in FIELDS:
        row = [
            result[name][part][field]
            for part in ("all", "held_out")
            for name in ("newscrawl", "trafilatura")
        ]
        print(f"{field:12}{row[0]:>12.3f}{row[1]:>12.3f}{row[2]:>14.3f}{row[3]:>14.3f}")
    pages = result["newscrawl"]["all"]["pages"]
    held = result["newscrawl"]["held_out"]["pages"]
    print(f"({pages} pages; {held} held-out pages from {len(HELD_OUT)} publishers)")
    if args.pages:
        for ours, theirs in zip(per_page["newscrawl"], per_page["trafilatura"], strict=True):
            print(
                f"{ours.file:45} body {ours.body_f1:.3f}/{theirs.body_f1:.3f} "
                f"title {ours.title:d}/{theirs.title:d} "
                f"authors {ours.authors_f1:.2f}/{theirs.authors_f1:.2f} "
                f"date {ours.date:d}/{theirs.date:d}"
            )
    return result


def _rounded(summary: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
