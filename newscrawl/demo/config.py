"""The sources.yml and artists.yml that point a crawl at the served demo publishers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newscrawl.demo.catalog import ARTISTS_FILE, PUBLISHERS

HEADER = (
    "# Demo publishers served by `newscrawl demo-site` (fictional; see newscrawl/demo/README.md)\n"
)

# Per publisher: discovery channels (paths) and the article URL pattern after host:port.
CHANNELS: dict[str, dict[str, list[str]]] = {
    "popwire": {
        "sitemaps": ["/sitemap_index.xml", "/news-sitemap.xml"],
        "feeds": ["/feed/"],
        "listings": ["/"],
        "artist_pages": ["/tag/{slug}/"],
    },
    "stagescreen": {
        "feeds": ["/atom.xml"],
        "listings": ["/latest"],
        "artist_pages": ["/search?q={query}"],
    },
    "dailygossip": {
        "sitemaps": ["/sitemap.xml"],
        "feeds": ["/tvshowbiz/index.rss"],
        "listings": ["/tvshowbiz/index.html"],
    },
    "showbizbulletin": {"listings": ["/news.asp?page=1"]},
}
ARTICLE_PATTERNS = {
    "popwire": r"/\d{4}/\d{2}/[a-z0-9-]+/$",
    "stagescreen": r"/(?:features/[a-z0-9-]+|news/[a-z0-9-]+\.html)$",
    "dailygossip": r"/(?:tvshowbiz|premium-gossip)/article-\d+/[A-Za-z0-9-]+\.html$",
    "showbizbulletin": r"/story\.asp\?id=\d+(?:&.*)?$",
}


def article_pattern(source_id: str, base_url: str) -> str:
    """The ``article_url`` regular expression of a publisher served at ``base_url``."""
    return "^" + re.escape(base_url.rstrip("/")) + ARTICLE_PATTERNS[source_id]


def _flow(values: list[str]) -> str:
    # JSON strings are valid YAML double-quoted scalars.
    import json

    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def sources_yaml(base_urls: dict[str, str], *, articles: int | None = None) -> str:
    """sources.yml text for publishers served at ``base_urls`` ({id: "http://host:port/"})."""
    out = [HEADER, "sources:\n"]
    for publisher in PUBLISHERS:
        base = base_urls[publisher.id]
        origin = base.rstrip("/")
        out.append(f"  - id: {publisher.id}\n")
        out.append(f"    name: {_flow([publisher.name])[1:-1]}\n")
        out.append(f"    homepage: {base}\n")
        out.append(f"    allowed_domains: {_flow([urlsplit(base).netloc])}\n")
        for key, paths in CHANNELS[publisher.id].items():
            out.append(f"    {key}: {_flow([origin + p for p in paths])}\n")
        pattern = article_pattern(publisher.id, base).replace("'", "''")
        out.append(f"    article_url: '{pattern}'\n")
        # The demo sites run on this machine: no politeness delay needed, and it keeps
        # `make demo` quick. Real publishers keep the polite defaults (docs/sources.md).
        out.append("    download_delay: 0\n")
        out.append("    concurrency: 8\n")
        if articles is None:
            out.append("    max_pages: 1000\n")
        else:
            out.append(f"    max_pages: {max(1000, 2 * articles)}\n")
            out.append(f"    max_listing_pages: {articles // 4 // 20 + 20}\n")
    return "".join(out)


def artists_yaml() -> str:
    """The demo watchlist (``newscrawl/demo/artists.yml``) as text."""
    return ARTISTS_FILE.read_text("utf-8")
