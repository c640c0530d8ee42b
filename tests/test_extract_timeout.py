"""A page that keeps an extraction worker busy past NEWSCRAWL_EXTRACT_TIMEOUT is dropped
as `failed` with the reason in its detail, and the crawl goes on: its worker is killed
and replaced, and the pages queued behind it are extracted by the workers left. Before,
the crawl waited for it: libxml2 needs ~30 s for an element of 40,000 attributes, and a
5 MB page could hold hours of them."""

from __future__ import annotations

from crawling import scrapy_crawl, serve_locally
from test_discovery_channels import story
from test_publisher_quirks import archived, drops, page, publisher, write_config

SITEMAP = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    + "".join(
        f"<url><loc>http://{{host}}/2026/{slug}/</loc></url>"
        for slug in ("slow", "fine-1", "fine-2", "fine-3")
    )
    + "</urlset>"
)
# One element with 20,000 attributes: libxml2 parses it in quadratic time (seconds).
SLOW = story("Lady Gaga slow page").replace(
    "<article>", "<article><div " + " ".join(f'a{i}="x"' for i in range(20_000)) + ">x</div>"
)


def test_a_page_past_the_extraction_time_limit_is_a_drop_and_the_crawl_goes_on(tmp_path):
    site = publisher(
        {
            "/sitemap.xml": page(SITEMAP, "application/xml"),
            "/2026/slow/": page(SLOW),
            **{f"/2026/fine-{n}/": page(story(f"Lady Gaga story {n}")) for n in (1, 2, 3)},
        }
    )
    with serve_locally(site) as host:
        site.names["host"] = host
        sources, artists = write_config(tmp_path, host, sitemaps=[f"http://{host}/sitemap.xml"])
        result = scrapy_crawl(
            db=tmp_path / "a.db",
            sources=sources,
            artists=artists,
            # One worker: the pages that arrive after the slow one wait behind it. The
            # limit is on CPU time: the slow page needs seconds of it, a fine page ~30 ms
            # however long a loaded machine leaves the low-priority worker waiting.
            settings={"NEWSCRAWL_EXTRACT_WORKERS": "1", "NEWSCRAWL_EXTRACT_TIMEOUT": "1"},
        )
    base = f"http://{host}"
    assert archived(result) == {f"{base}/2026/fine-{n}/" for n in (1, 2, 3)}
    slow = drops(result)[f"{base}/2026/slow/"]
    assert (slow["stage"], slow["reason"]) == ("extract", "failed")
    # 1 s of CPU time, or on a machine too busy to give the worker that much, ten times
    # the limit in wall-clock time (tests/test_workers.py checks each).
    assert "took longer than" in slow["detail"], slow["detail"]
    assert "NEWSCRAWL_EXTRACT_TIMEOUT" in slow["detail"]
