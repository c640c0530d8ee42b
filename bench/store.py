"""Benchmark: articles/s into the archive through ``Archive.write_batch`` against a raw
``sqlite3`` ``executemany`` of the same rows in one transaction.

Both write the same synthetic articles (``SyntheticCorpus``: 300-600 word bodies, 1-3
artist mentions each) into a fresh archive with the full schema: FTS triggers on, the
coverage triggers on, WAL, ``synchronous = NORMAL``, foreign keys on. The store writes
batches of ``NEWSCRAWL_BATCH_SIZE`` (100) articles, each batch one transaction, exactly
as a crawl does; the baseline inserts the finished rows (articles with their ``artists``
column, then mentions) with two ``executemany`` calls in a single transaction. Rounds
alternate and the best of each is kept. The ratio store/raw is the figure (goal ≥ 0.5).

    .venv/bin/python bench/store.py --quick      # 2,000 articles, 3 rounds
    .venv/bin/python bench/store.py              # 20,000 articles, 3 rounds
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import from the repository, not from bench/.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.common import SyntheticCorpus, emit, machine

GOAL = 0.5
BATCH = 100  # NEWSCRAWL_BATCH_SIZE's default


def corpus_articles(count: int, corpus: SyntheticCorpus | None = None) -> list:
    """``count`` synthetic articles as :class:`~newscrawl.items.Article` items, tagged."""
    import json

    from newscrawl.items import Article, Mention

    corpus = corpus or SyntheticCorpus()
    articles = []
    for index in range(1, count + 1):
        fields = corpus.article(index)
        articles.append(
            Article(
                url=fields["url"],
                canonical_url=fields["canonical_url"],
                source_id=fields["source_id"],
                title=fields["title"],
                description=fields["description"],
                authors=json.loads(fields["authors"]),
                published_at=fields["published_at"],
                section=fields["section"],
                tags=json.loads(fields["tags"]),
                language=fields["language"],
                image_url=fields["image_url"],
                body=fields["body"],
                word_count=fields["word_count"],
                is_paywalled=False,
                content_hash=fields["content_hash"],
                provenance=json.loads(fields["provenance"]),
                fetched_at=fields["fetched_at"],
                discovery=json.loads(fields["discovery"]),
                extractor_version="bench",
                mentions=[
                    Mention(
                        m["artist"],
                        m["artist_id"],
                        m["count"],
                        bool(m["in_title"]),
                        m["first_offset"],
                        json.loads(m["snippets"]),
                        m["salience"],
                    )
                    for m in fields["mentions"]
                ],
            )
        )
    return articles


def fresh_archive(path: Path, corpus: SyntheticCorpus):
    from newscrawl.store import Archive

    archive = Archive(path)
    archive.sync_sources(corpus.sources)
    archive.sync_artists(corpus.artists)
    return archive


def time_store(folder: Path, articles: list, corpus: SyntheticCorpus) -> float:
    """Seconds ``Archive.write_batch`` takes for ``articles`` in batches of ``BATCH``."""
    archive = fresh_archive(folder / "store.db", corpus)
    try:
        run_id = archive.start_run(spider="bench")
        active = [a.id for a in corpus.artists]
        begin = time.perf_counter()
        for first in range(0, len(articles), BATCH):
            archive.write_batch(
                articles[first : first + BATCH], run_id=run_id, active_artist_ids=active
            )
        return time.perf_counter() - begin
    finally:
        archive.close()


def raw_rows(articles: list, corpus: SyntheticCorpus) -> tuple[list[str], list, list]:
    """The ``articles`` and ``mentions`` rows the store would write, ready for executemany."""
    import json

    from newscrawl.store import Archive, json_text

    names = {a.id: a.name for a in corpus.artists}
    columns: list[str] = []
    rows, mentions = [], []
    for article_id, article in enumerate(articles, start=1):
        row = Archive._article_row(article, run_id=None)
        row.update(
            id=article_id,
            first_seen_at=row["fetched_at"],
            changed_at=row["fetched_at"],
            revision_count=0,
            # As the store's json_group_array writes it: most salient first, compact.
            artists=json.dumps(
                [
                    names[m.artist_id]
                    for m in sorted(article.mentions, key=lambda m: (-m.salience, m.artist))
                ],
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        )
        columns = list(row)
        rows.append(tuple(row.values()))
        mentions.extend(
            (
                article_id,
                m.artist_id,
                m.count,
                int(m.in_title),
                m.first_offset,
                json_text(list(m.snippets)),
                round(float(m.salience), 4),
            )
            for m in article.mentions
        )
    return columns, rows, mentions


def time_raw(folder: Path, articles: list, corpus: SyntheticCorpus) -> float:
    """Seconds two ``executemany`` calls take for the same rows, in one transaction."""
    fresh_archive(folder / "raw.db", corpus).close()
    columns, rows, mentions = raw_rows(articles, corpus)
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("pragma synchronous = normal")
    conn.execute("pragma foreign_keys = on")
    try:
        begin = time.perf_counter()
        conn.execute("begin")
        conn.executemany(
            f"insert into articles ({', '.join(columns)}) values"
            f" ({', '.join('?' for _ in columns)})",
            rows,
        )
        conn.executemany(
            "insert into mentions (article_id, artist_id, count, in_title, first_offset,"
            " snippets, salience) values (?, ?, ?, ?, ?, ?, ?)",
            mentions,
        )
        conn.execute("commit")
        return time.perf_counter() - begin
    finally:
        conn.close()


def check_same_archive(folder: Path) -> bool:
    """Both runs wrote the same articles, mentions and coverage counts."""
    queries = (
        "select canonical_url, title, body, artists, published_month from articles",
        "select a.canonical_url, m.artist_id, m.salience from mentions m"
        " join articles a on a.id = m.article_id",
        "select * from coverage_by_month",
    )
    results = []
    for name in ("store.db", "raw.db"):
        conn = sqlite3.connect(folder / name)
        results.append([sorted(conn.execute(q).fetchall()) for q in queries])
        conn.close()
    return results[0] == results[1]


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the benchmark; print JSON and a summary line; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    count = args.articles or (2_000 if args.quick else 20_000)
    corpus = SyntheticCorpus()
    articles = corpus_articles(count, corpus)
    store_s, raw_s = [], []
    same = True
    for number in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="newscrawl-bench-store-") as tmp:
            folder = Path(tmp)
            # Alternate which goes first, so neither always meets a warmer page cache.
            if number % 2 == 0:
                store_s.append(time_store(folder, articles, corpus))
                raw_s.append(time_raw(folder, articles, corpus))
            else:
                raw_s.append(time_raw(folder, articles, corpus))
                store_s.append(time_store(folder, articles, corpus))
            same = same and check_same_archive(folder)
    store_rate = count / min(store_s)
    raw_rate = count / min(raw_s)
    ratio = store_rate / raw_rate
    mentions = sum(len(a.mentions) for a in articles)
    result = {
        "benchmark": "store",
        "articles": count,
        "mentions": mentions,
        "avg_body_chars": round(sum(len(a.body) for a in articles) / count),
        "batch_size": BATCH,
        "rounds": args.rounds,
        "store_articles_per_s": round(store_rate, 1),
        "raw_articles_per_s": round(raw_rate, 1),
        "store_seconds": [round(s, 3) for s in store_s],
        "raw_seconds": [round(s, 3) for s in raw_s],
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL,
        "same_rows": same,
        "machine": machine(),
    }
    verdict = "ok" if ratio >= GOAL else "under goal"
    return emit(
        result,
        f"store: Archive.write_batch {store_rate:.0f} articles/s vs raw executemany "
        f"{raw_rate:.0f} articles/s ({count} articles, {mentions} mentions, FTS and coverage "
        f"triggers on): ratio {ratio:.2f} (goal ≥ {GOAL}, {verdict}); same rows: {same}",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
