"""Re-extraction edge cases: versions of one page close together in the WARC files,
files of several prefixes, damaged records, a changed watchlist; and the refresh
schedule of undated and removed articles."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawling import ROOT

from newscrawl.items import Page
from newscrawl.refresh import RefreshPolicy
from newscrawl.warc import WarcSeries, file_order, read_pages

URL = "https://pop.example/2026/01/taylor-swift-adds-dates/"
WORDS = (
    "The singer announced the new shows on Monday morning after weeks of rumours among"
    " fans who had tracked every hint on social media and in interviews with her band"
    " and crew members across three continents this year."
)


def page(version: int, *, url: str = URL, extra: str = "", hour: int = 0) -> Page:
    body = (
        "<html><head><title>Taylor Swift adds dates</title>"
        f'<link rel="canonical" href="{url}">'
        '<meta property="article:published_time" content="2026-01-05T10:00:00Z">'
        "</head><body><article><h1>Taylor Swift adds dates</h1>"
        f"<p>Taylor Swift adds six stadium dates, version {version}. {WORDS}</p>"
        f"<p>{WORDS} {extra}</p></article></body></html>"
    )
    return Page(
        url=url,
        source_id="pop",
        status=200,
        body=body.encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
        fetched_at=f"2026-01-0{5 + version}T{hour:02d}:00:00+00:00",
    )


def write_warc(folder: Path, pages, *, prefix="newscrawl", run=1) -> list[tuple[str, int]]:
    series = WarcSeries(folder, prefix=prefix)
    series.run_id = run
    places = [series.write_response(p) for p in pages]
    series.close()
    return places


def reextract(db: Path, warc: Path, *extra: str, check: bool = True):
    proc = subprocess.run(
        [sys.executable, "-m", "newscrawl", "reextract", "--db", str(db), "--warc-dir", str(warc)]
        + list(extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc


def query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_versions_of_one_page_close_together_rebuild_every_revision(tmp_path):
    # Three fetches of one URL next to each other, among other pages: the pages run
    # through the extraction workers side by side, but the store must see them in order.
    # Three hourly runs, each fetching the page once, at the end of one file and the start
    # of the next (a run is one WARC series; a URL is fetched once per run).
    warc = tmp_path / "warc"
    others = [page(0, url=f"https://pop.example/2026/01/other-{i}/") for i in range(12)]
    write_warc(warc, [*others[:6], page(1)], run=1)
    write_warc(warc, [page(2)], run=2)
    write_warc(warc, [page(3), *others[6:]], run=3)
    assert_three_versions_rebuilt(tmp_path, key="url")


def assert_three_versions_rebuilt(tmp_path: Path, *, key: str) -> None:
    """Three rebuilds from tmp_path/warc each give URL's article (found by ``key``)
    versions 1 and 2 as its revisions, first seen with version 1."""
    for attempt in range(3):
        db = tmp_path / f"rebuilt-{attempt}.db"
        reextract(db, tmp_path / "warc")
        assert query(
            db, f"select revision_count, first_seen_at from articles where {key} = '{URL}'"
        ) == [(2, "2026-01-06T00:00:00+00:00")], attempt
        bodies = [r[0] for r in query(db, "select body from revisions order by revision")]
        assert ["version 1" in bodies[0], "version 2" in bodies[1]] == [True, True]


def test_in_place_reextraction_keeps_the_current_versions_mentions(tmp_path):
    # Version 2 names Beyoncé too; re-extracting the older record in place must not give
    # the article version 1's mentions (or its places in the body).
    write_warc(tmp_path / "warc", [page(1)], run=1)
    write_warc(tmp_path / "warc", [page(2, extra="Beyoncé joined her on stage.")], run=2)
    db = tmp_path / "archive.db"
    reextract(db, tmp_path / "warc")
    before = query(db, "select artist_id, count, spans from mentions order by artist_id")
    assert [r[0] for r in before] == ["beyonce", "taylor-swift"]
    for _ in range(3):
        reextract(db, tmp_path / "warc")
        assert (
            query(db, "select artist_id, count, spans from mentions order by artist_id") == before
        )


def test_files_of_several_prefixes_replay_in_time_order():
    names = [
        "newscrawl-20260105120000-run2-77-00000.warc.gz",
        "popnews-20260101090000-run1-55-00000.warc.gz",
        "popnews-20260101090000-run1-55-00001.warc.gz",
        "a-b-c-20260103000000-run7-1-00000.warc.gz",  # a prefix with dashes
        "hand-made.warc.gz",
    ]
    ordered = sorted((Path(n) for n in names), key=file_order)
    assert [p.name for p in ordered] == [
        "popnews-20260101090000-run1-55-00000.warc.gz",
        "popnews-20260101090000-run1-55-00001.warc.gz",
        "a-b-c-20260103000000-run7-1-00000.warc.gz",
        "newscrawl-20260105120000-run2-77-00000.warc.gz",
        "hand-made.warc.gz",
    ]


def test_a_record_cut_short_is_skipped_and_reported(tmp_path):
    warc = tmp_path / "warc"
    places = write_warc(warc, [page(1), page(2, url=URL + "b/")])
    name, _ = places[-1]
    path = warc / name
    path.write_bytes(path.read_bytes()[:-60])  # the last record loses its end (a kill -9)
    problems = []
    pages = list(read_pages(warc, on_damage=problems.append))
    assert [p.url for p in pages] == [URL]
    assert len(problems) == 1 and name in problems[0]


def test_a_damaged_file_is_read_up_to_the_damage_and_the_others_in_full(tmp_path):
    warc = tmp_path / "warc"
    first = write_warc(warc, [page(1), page(2, url=URL + "b/"), page(3, url=URL + "c/")], run=1)
    write_warc(warc, [page(4, url=URL + "d/")], prefix="zzz", run=2)
    name, second_offset = first[1]
    path = warc / name
    data = bytearray(path.read_bytes())
    data[second_offset + 40 : second_offset + 60] = b"\x00" * 20  # inside record 2's gzip data
    path.write_bytes(bytes(data))
    problems = []
    urls = [p.url for p in read_pages(warc, on_damage=problems.append)]
    assert urls[0] == URL and urls[-1] == URL + "d/"
    assert URL + "b/" not in urls and problems
    # The command reports it and still rebuilds the rest (exit 0: the data it could read).
    proc = reextract(tmp_path / "rebuilt.db", warc)
    assert "damaged WARC record" in proc.stderr
    assert query(tmp_path / "rebuilt.db", "select count(*) from articles")[0][0] == len(urls)


def test_a_watchlist_without_an_artist_takes_their_mentions_away(tmp_path):
    write_warc(tmp_path / "warc", [page(1, extra="Beyoncé joined her on stage.")])
    db = tmp_path / "archive.db"
    reextract(db, tmp_path / "warc")
    only_beyonce = tmp_path / "artists.yml"
    only_beyonce.write_text("artists:\n  - name: Beyoncé\n")
    proc = reextract(db, tmp_path / "warc", "--artists", str(only_beyonce))
    assert query(db, "select artist_id from mentions") == [("beyonce",)]
    nobody = tmp_path / "nobody.yml"
    nobody.write_text("artists:\n  - name: Madonna\n")
    proc = reextract(db, tmp_path / "warc", "--artists", str(nobody))
    # Still archived, without mentions, and not also a drop.
    assert query(db, "select artists from articles") == [("[]",)]
    assert query(db, "select count(*) from mentions") == [(0,)]
    assert query(db, "select count(*) from drops") == [(0,)]
    assert "mention nobody on this watchlist" in proc.stderr


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_an_undated_article_is_refreshed_by_the_ladder_from_when_it_was_first_archived():
    policy = RefreshPolicy((timedelta(hours=1), timedelta(days=1), timedelta(days=7)), now=NOW)
    first = NOW - timedelta(days=30)
    undated = {"published_at": None, "first_seen_at": iso(first), "fetched_at": iso(first)}
    assert policy.decide(undated, {}).fetch  # the 1 h, 1 d and 7 d steps are due
    refreshed = {**undated, "fetched_at": iso(first + timedelta(days=8))}
    assert not policy.decide(refreshed, {}).fetch  # every step passed: no refetch loop


def test_a_page_found_gone_counts_the_ladder_from_that_attempt():
    policy = RefreshPolicy((timedelta(hours=1), timedelta(days=1), timedelta(days=7)), now=NOW)
    published = NOW - timedelta(days=2)
    known = {"published_at": iso(published), "fetched_at": iso(published + timedelta(minutes=5))}
    assert policy.decide(known, {}).fetch  # the 1 h and 1 d steps are due
    gone = {"reason": "removed", "last_seen_at": iso(NOW - timedelta(hours=1))}
    assert not policy.decide(known, {}, dropped=gone).fetch  # tried after they fell due


def test_fetches_of_one_article_under_two_urls_rebuild_every_revision(tmp_path):
    # The same story fetched as its AMP URL in one run and its own URL in the next: one
    # article (same canonical URL), whose records need not share a URL. They must reach
    # the store oldest first as well, or the older one is "stale" and a revision is lost.
    import dataclasses

    warc = tmp_path / "warc"
    others = [page(0, url=f"https://pop.example/2026/01/other-{i}/") for i in range(12)]
    amp = dataclasses.replace(page(1), url=URL + "amp/")  # its canonical link is URL
    write_warc(warc, [*others[:6], amp], run=1)
    write_warc(warc, [page(2)], run=2)
    write_warc(warc, [dataclasses.replace(page(3), url=URL + "amp/"), *others[6:]], run=3)
    assert_three_versions_rebuilt(tmp_path, key="canonical_url")
