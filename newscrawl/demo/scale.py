"""Scaled mode (``articles=N``): N generated articles recombined from the base corpus.

Article ``j`` (0-based) belongs to publisher ``j % 4`` and is built from one base
article: its headline with a variant prefix or suffix, its lead paragraph, its other
paragraphs in a seeded shuffle, one neutral paragraph from ``content/scale.yml`` and a
closing line saying when the story was filed, which makes every body unique (worded so
that the extractor keeps it: "This article was first published on ..." is boilerplate
to it, and two articles differing by that line alone were archived as one).
Publication times rise evenly from 2025-01-01 to the edition's present, so feeds and
the news sitemap stay meaningful; they are whole minutes, as every demo page can print
them (the tabloid shows "13:21 EST"), so a page states its catalogued time exactly.
The true artists are those of the base article (the added material names nobody on the
watchlist). Nothing is rendered here: pages are built on request.

Edition 2 of a scaled corpus: ``max(5, N // 100)`` new articles; one article in every
hundred edited (an "Update:" paragraph, newer modification time): ``j = 100 k + 49 +
k % 4`` for the k-th hundred; one in every thousand removed (410): ``j = 1000 k + 996 +
k % 4``, or article ``N // 2`` when N < 997. The ``k % 4`` shift puts the edits and
removals on each publisher in turn (a fixed ``j % 100 == 49`` chose publisher 1 only).
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from functools import lru_cache

import yaml

from newscrawl.demo.common import long_date, slugify
from newscrawl.demo.model import DemoArticle, Publisher

START = datetime(2025, 1, 1, 8, 0)
END = {1: datetime(2026, 11, 2, 6, 0), 2: datetime(2026, 11, 23, 6, 0)}
NEW_START = datetime(2026, 11, 3, 8, 0)
_DATELINE = re.compile(r"^[A-Z][A-Z .]+ — ")


@lru_cache(maxsize=1)
def _material() -> dict:
    from newscrawl.demo.catalog import CONTENT_DIR

    return yaml.safe_load((CONTENT_DIR / "scale.yml").read_text("utf-8"))


def _pool(content: dict[str, tuple[dict, ...]]) -> list[tuple[dict, list[str]]]:
    from newscrawl.demo.catalog import paragraphs

    pool = []
    for entries in content.values():
        for raw in entries:
            if raw.get("seed") or raw.get("paywalled") or raw.get("status") or not raw.get("body"):
                continue
            pool.append((raw, paragraphs(raw["body"])))
    return pool


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'a.m.' if moment.hour < 12 else 'p.m.'}"


def _one_per_block(n: int, block: int, offset: int) -> set[int]:
    """Article ``block * k + offset + k % 4`` of each block k below ``n``: with ``block`` a
    multiple of 4, the shift moves the chosen article to the next publisher each block."""
    return {j for k in range(n // block + 1) if (j := block * k + offset + k % 4) < n}


def scaled_records(
    n: int, edition: int, publishers: tuple[Publisher, ...], content, site_class
) -> dict[str, list[DemoArticle]]:
    """The records of a scaled corpus of ``n`` articles in ``edition``."""
    from newscrawl.demo.catalog import make_article

    if not isinstance(n, int) or isinstance(n, bool) or n < 10:
        raise ValueError(f"articles must be an integer >= 10, got {n!r}")
    material = _material()
    pool = _pool(content)
    authors = {
        p.id: sorted(
            {a for raw in content[p.id] for a in raw.get("authors", ())} - {"Inquisitr Staff"}
        )
        for p in publishers
    }
    removed = _one_per_block(n, 1000, 996) or {n // 2}
    edited = _one_per_block(n, 100, 49) - removed or {0, 1, 2}
    new_count = max(5, n // 100)
    total = n + (new_count if edition >= 2 else 0)
    span = (END[1] - START).total_seconds() / 60  # minutes
    new_span = (END[2] - NEW_START).total_seconds() / 60
    records: dict[str, list[DemoArticle]] = {p.id: [] for p in publishers}
    variants = material["title_variants"]
    # One generator drawn in article order: article j is the same in every edition.
    rng = random.Random(n)
    for j in range(total):
        publisher = publishers[j % len(publishers)]
        base, base_body = pool[j % len(pool)]
        if j < n:
            published = START + timedelta(minutes=int(span * j / n))
        else:
            published = NEW_START + timedelta(minutes=int(new_span * (j - n) / new_count))
        title = variants[(j // len(pool)) % len(variants)].format(title=base["title"])
        lead = base_body[0]
        dateline = material["datelines"][int(rng.random() * len(material["datelines"]))]
        if not _DATELINE.match(lead):
            lead = f"{dateline} — {lead}"
        rest = base_body[1:]
        rng.shuffle(rest)
        filler = material["paragraphs"][int(rng.random() * len(material["paragraphs"]))]
        rest.insert(int(rng.random() * (len(rest) + 1)), filler)
        closing = (
            f"Our correspondent filed this story at {_clock(published)} on {long_date(published)}."
        )
        pub_authors = authors[publisher.id]
        raw = {
            "key": f"g{j}",
            "title": title,
            "description": base.get("description"),
            "authors": [pub_authors[j % len(pub_authors)]],
            "published": published,
            "section": base.get("section"),
            "tags": list(base.get("tags") or ()),
            "artists": list(base.get("artists") or ()),
            "kind": "features" if (j // len(publishers)) % 3 == 0 else "news",
            "bullets": list(base.get("bullets") or ()),
            "caption": base.get("caption") or "Picture: file photo",
            "credit": base.get("credit") or "Gossip Pictures",
        }
        if publisher.family in ("wordpress", "magazine"):
            raw["slug"] = f"{slugify(base['title'], max_words=8)}-{j + 1}"
        if j >= n:
            raw["added"] = 2
        elif j in removed:
            raw["removed"] = 2
        elif j in edited:
            raw["edit"] = {
                "edition": 2,
                "modified": f"2026-11-{10 + j % 12:02d} 10:00",
                "append": [
                    "Update: This story has been updated with further details from the organizers."
                ],
            }
        body = [lead, *rest, closing]
        records[publisher.id].append(make_article(publisher, raw, j, edition, body=body))
    return records
