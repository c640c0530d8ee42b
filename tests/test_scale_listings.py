"""Listing pagination in Redis mode: real `scrapy crawl news` workers on a real
redis-server, a real `newscrawl ingest`, and a local publisher that records every
request. A listing walk stops at known territory (articles an earlier crawl requested),
as in a local crawl, but not at pages whose articles another worker of the same crawl
requested moments ago.
"""

from __future__ import annotations

import functools
import json
from http.server import SimpleHTTPRequestHandler

from crawling import serve_locally
from test_scale_redis import Worker, ingest, no_leftover_workers, rows  # noqa: F401

from newscrawl.scale.redis_queue import seen_fingerprint
from newscrawl.scale.territory import first_requested_key, redis_now_ms

WORDS = " ".join(["Lady Gaga announced a new album on Friday night."] * 12)
PAGES = 5  # listing pages, three stories each


def story(name: str) -> str:
    return (
        f"<html><head><title>Lady Gaga {name}</title></head><body><article>"
        f"<h1>Lady Gaga {name}</h1><p>{WORDS}</p></article></body></html>"
    )


def listing_page(number: int, stories: list[str]) -> str:
    links = "".join(f'<a href="/2026/{name}/">{name}</a>' for name in stories)
    if number < PAGES:
        links += f'<a rel="next" href="/news/page/{number + 1}/">Older</a>'
    return f"<html><body>{links}</body></html>"


class Site:
    """A publisher with one paginated listing; ``asked`` is every path requested."""

    def __init__(self, folder) -> None:
        self.folder = folder / "site"
        self.asked: list[str] = []
        self.stories = [f"s{n}" for n in range(PAGES * 3)]  # newest first
        self.publish()

    def publish(self) -> None:
        files = {"robots.txt": "User-agent: *\nAllow: /\n"}
        for number in range(1, PAGES + 1):
            path = "news/index.html" if number == 1 else f"news/page/{number}/index.html"
            files[path] = listing_page(number, self.stories[(number - 1) * 3 : number * 3])
        for name in self.stories:
            files[f"2026/{name}/index.html"] = story(name)
        for path, text in files.items():
            file = self.folder / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text)

    def listing_pages_asked(self) -> list[str]:
        return sorted(p for p in self.asked if p.startswith("/news/"))

    def handler(self):
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                site.asked.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        return functools.partial(Handler, directory=str(self.folder))

    def config(self, folder, host):
        sources = folder / "sources.yml"
        entry = {
            "id": "tiny",
            "name": "Tiny",
            "homepage": f"http://{host}/",
            "allowed_domains": [host],
            "listings": [f"http://{host}/news/"],
            "article_url": "/2026/",
        }
        sources.write_text(json.dumps({"sources": [entry]}))
        artists = folder / "artists.yml"
        artists.write_text("artists:\n  - name: Lady Gaga\n")
        return sources, artists


def archived(db) -> set[str]:
    return {r["url"].rsplit("/", 2)[1] for r in rows(db, "select url from articles")}


def test_a_later_run_stops_the_listing_walk_at_known_territory(tmp_path, redis_url):
    """Run 1 walks the five pages; run 2 (nothing new) reads page 1 only; run 3, after
    a new story at the top, reads pages 1 and 2 (page 1 listed something new, page 2
    nothing) and archives it. Before, every worker run read all five pages (up to
    max_listing_pages, 50 by default, per listing and per artist page)."""
    site = Site(tmp_path)
    db = tmp_path / "archive.db"
    with serve_locally(site.handler()) as host:
        config = site.config(tmp_path, host)
        Worker("first", redis_url, tmp_path, config).wait()
        assert len(site.listing_pages_asked()) == PAGES
        assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
        assert archived(db) == set(site.stories)

        site.asked.clear()
        Worker("second", redis_url, tmp_path, config).wait()
        assert site.listing_pages_asked() == ["/news/"]
        assert not [p for p in site.asked if p.startswith("/2026/")]

        site.stories.insert(0, "fresh")
        site.publish()
        site.asked.clear()
        Worker("third", redis_url, tmp_path, config).wait()
        assert site.listing_pages_asked() == ["/news/", "/news/page/2/"]
        assert [p for p in site.asked if p.startswith("/2026/")] == ["/2026/fresh/"]
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    assert "fresh" in archived(db)


def test_listing_pagination_is_followed_past_pages_another_worker_requested(
    tmp_path, redis_url, redis_client
):
    """A listing page whose articles another worker of the same crawl requested a
    moment ago (from its copy of the page or from a sitemap) is no known territory: the
    pages after it must still be read. Two workers lost the stories only listed on a
    later page this way, one run in three on a loaded machine. An article an earlier
    crawl requested, on the other hand, is: the walk stops at the page after."""
    site = Site(tmp_path)
    with serve_locally(site.handler()) as host:
        config = site.config(tmp_path, host)
        base = f"http://{host}"
        client = redis_client
        # Another worker, live since a moment ago, requested the stories of pages 1-2.
        started = redis_now_ms(client)
        lease = {"host": "elsewhere", "pid": 1, "queue": "news:requests", "started": started}
        client.set("news:workers:other", json.dumps(lease), px=60_000)
        theirs = [seen_fingerprint(f"{base}/2026/{name}/") for name in site.stories[:6]]
        client.sadd("news:dupefilter", *theirs)
        client.zadd(first_requested_key("news:dupefilter"), dict.fromkeys(theirs, started + 1))
        # An earlier crawl requested those of page 4 (no time kept: known territory).
        earlier = [seen_fingerprint(f"{base}/2026/{name}/") for name in site.stories[9:12]]
        client.sadd("news:dupefilter", *earlier)
        Worker("late", redis_url, tmp_path, config).wait()
        client.delete("news:workers:other")  # the ingester waits for live workers
    assert site.listing_pages_asked() == ["/news/"] + [f"/news/page/{n}/" for n in (2, 3, 4)]
    db = tmp_path / "archive.db"
    assert ingest(redis_url, db, "--idle-exit", "0.5").returncode == 0
    assert archived(db) == set(site.stories[6:9])
