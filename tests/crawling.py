"""Helpers for tests that run real crawls: ``scrapy crawl`` in a subprocess, a small
reader for the resulting archive, and small local sites to crawl."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Local sites: no politeness delay needed, keeps the suite fast. Politeness settings
# themselves are tested where they matter (robots.txt, Crawl-delay).
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "8"}


def assert_paced(times: list[float], delays: list[float]) -> None:
    """The requests that arrived at ``times`` (server clock) came at least ``delays``
    apart (one delay per gap). The crawler paces a request from when it sent the one
    before, so a request held up on its way to the server by a loaded machine shortens
    the gap after it by as much: each gap keeps half its delay. Over the whole run only
    the first request's hold-up counts (every later one is sent on pace and arrives no
    sooner), so the run keeps all its delays less half the first. At no pace at all the
    pages come back to back and both checks fail."""
    gaps = [round(b - a, 2) for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == len(delays), (gaps, delays)
    assert all(g >= d / 2 for g, d in zip(gaps, delays, strict=True)), (gaps, delays)
    assert times[-1] - times[0] >= sum(delays) - delays[0] / 2, (gaps, delays)


# How a fetch drop stands in the funnel, as these tests' crawls meet them: a request
# that never had an answer (robots.txt refused it, the connection failed, redirects never
# ended, the download passed DOWNLOAD_MAXSIZE), or an answer the crawl dropped, counted
# in `fetched` (an HTTP error status; the demo's removed story answering 410). Other fetch
# reasons are not classified here: funnel_gaps() stops on them rather than guess.
UNANSWERED = ("robots", "fetch_error", "redirect_loop", "too_large")
ANSWERED = ("http_status", "removed")
# A requested URL that redirected to the article archived under the final URL: the page
# is archived (counted once, in `archived`) and the row tells later runs; not a drop.
ARCHIVED_ELSEWHERE = ("redirected",)
# Discover drops of URLs that were never article candidates (they do not match
# article_url, or are off the source's domains): not counted as discovered.
NOT_CANDIDATES = ("off_pattern", "offsite")


def _dropped(drops: dict, stages: tuple, *, only: tuple | None = None, but: tuple = ()) -> int:
    return sum(
        n
        for (stage, reason), n in drops.items()
        if stage in stages and (only is None or reason in only) and reason not in but
    )


def funnel_gaps(result: Any) -> dict[str, dict]:
    """Per source, the funnel identities of the latest run that do not hold, with both
    sides; empty when its counts add up. Read right after the run: a drop row names the
    latest run that saw its URL, so a later run takes it over.

    * discovered = requested + skipped + candidates dropped at discovery (budget, since);
    * requested = fetched + pages never answered;
    * fetched = archived + pages answered and dropped (at fetch or after);
    * dropped = the run's drop rows, but for pages archived under the URL they
      redirected to.

    ``result`` has ``query(sql, params)`` (a :class:`CrawlResult`, say).
    """
    run = result.query("select max(id) as id from crawl_runs")[0]["id"]
    drops: dict[str, dict[tuple[str, str], int]] = {}
    for row in result.query(
        "select source_id, stage, reason, count(*) as n from drops where run_id = ?"
        " group by source_id, stage, reason",
        (run,),
    ):
        drops.setdefault(row["source_id"], {})[(row["stage"], row["reason"])] = row["n"]
    funnels = result.query("select * from run_sources where run_id = ?", (run,))
    gaps: dict[str, dict] = {
        source: {"funnel row": "missing"}
        for source in drops.keys() - {funnel["source_id"] for funnel in funnels}
    }
    for funnel in funnels:
        mine = drops.get(funnel["source_id"], {})
        known = UNANSWERED + ANSWERED + ARCHIVED_ELSEWHERE
        unknown = [key for key in mine if key[0] == "fetch" and key[1] not in known]
        assert not unknown, f"classify these fetch reasons in tests/crawling.py: {unknown}"
        candidates = _dropped(mine, ("discover",), but=NOT_CANDIDATES)
        unanswered = _dropped(mine, ("fetch",), only=UNANSWERED)
        answered = _dropped(mine, ("fetch",), only=ANSWERED)
        later = _dropped(mine, ("extract", "tag", "dedupe", "pipeline"))
        archived_elsewhere = _dropped(mine, ("fetch",), only=ARCHIVED_ELSEWHERE)
        sides = {
            "discovered": (
                funnel["discovered"],
                funnel["requested"] + funnel["skipped"] + candidates,
            ),
            "requested": (funnel["requested"], funnel["fetched"] + unanswered),
            "fetched": (funnel["fetched"], funnel["archived"] + answered + later),
            "dropped": (funnel["dropped"], sum(mine.values()) - archived_elsewhere),
        }
        wrong = {name: pair for name, pair in sides.items() if pair[0] != pair[1]}
        if wrong:
            gaps[funnel["source_id"]] = wrong
    return gaps


@dataclass
class CrawlResult:
    returncode: int
    output: str
    db: Path

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def scalar(self, sql: str, params: tuple = ()):
        return next(iter(self.query(sql, params)[0].values()))

    def run(self, run_id: int | None = None) -> dict:
        if run_id is None:
            return self.query("select * from crawl_runs order by id desc limit 1")[0]
        return self.query("select * from crawl_runs where id = ?", (run_id,))[0]


def scrapy_crawl(
    *,
    db: Path,
    sources: Path,
    artists: Path,
    spider_args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    timeout: float = 300,
    spider: str = "news",
    check: bool = True,
    env: dict[str, str] | None = None,
) -> CrawlResult:
    """Run ``scrapy crawl`` in a subprocess from the project folder (``env`` adds
    environment variables, e.g. the ``http_proxy`` of :func:`named_sites`)."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in (spider_args or {}).items():
        command += ["-a", f"{name}={value}"]
    merged = {
        **FAST,
        "NEWSCRAWL_DB": str(db),
        "NEWSCRAWL_SOURCES": str(sources),
        "NEWSCRAWL_ARTISTS": str(artists),
        "NEWSCRAWL_EXTRACT_WORKERS": "2",
        **(settings or {}),
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    proc = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )
    result = CrawlResult(proc.returncode, proc.stdout + proc.stderr, db)
    if check:
        assert proc.returncode == 0, result.output[-4000:]
        assert "Traceback" not in result.output, result.output[-6000:]
    return result


def evidence(row: dict) -> dict:
    """The discovery evidence of an ``articles`` row."""
    return json.loads(row["discovery"] or "{}")


@contextlib.contextmanager
def serve_locally(handler) -> Iterator[str]:
    """Serve ``handler`` (an ``http.server`` request handler) on 127.0.0.1 in a thread
    until the block ends; yields its ``127.0.0.1:PORT``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def tiny_site(folder: Path, pages: dict[str, str], **source) -> Iterator[tuple[str, Path, Path]]:
    """Serve ``pages`` ({path: text}, a path ending in ``/`` is its ``index.html``) as one
    publisher, ``tiny``, whose sources.yml entry adds ``source`` (channels, article_url).
    ``{base}`` in a page or a source value is the site's URL; robots.txt allows all.
    Yields (base URL, sources.yml, artists.yml); Lady Gaga is the only watched artist."""
    site = folder / "site"
    with serve_locally(functools.partial(_QuietFiles, directory=str(site))) as host:
        base = f"http://{host}"
        for path, text in {"/robots.txt": "User-agent: *\nAllow: /\n", **pages}.items():
            file = site / path.strip("/")
            file = file / "index.html" if path.endswith("/") else file
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text.replace("{base}", base))
        entry = {
            key: [v.replace("{base}", base) for v in value]
            if isinstance(value, list)
            else value.replace("{base}", base)
            for key, value in source.items()
        }
        sources = folder / "sources.yml"
        sources.write_text(
            json.dumps(  # JSON is YAML
                {
                    "sources": [
                        {
                            "id": "tiny",
                            "name": "Tiny",
                            "homepage": f"{base}/",
                            "allowed_domains": [host],
                            **entry,
                        }
                    ]
                }
            )
        )
        artists = folder / "artists.yml"
        artists.write_text("artists:\n  - name: Lady Gaga\n")
        yield base, sources, artists


@contextlib.contextmanager
def named_sites(
    folder: Path, pages: dict[str, str], **source
) -> Iterator[tuple[list[str], Path, Path, dict[str, str]]]:
    """Serve ``pages`` ({absolute URL: text}) on any host names (``www.tiny.test``,
    ``cdn.tiny.test``), offline: one HTTP proxy on 127.0.0.1 answers for every host, so a
    crawl given its ``http_proxy`` reaches names no DNS knows. Every host named has a
    robots.txt that allows all, unless ``pages`` gives one; other URLs answer 404.

    The source ``tiny`` has ``homepage`` http://www.tiny.test/ and ``allowed_domains``
    [www.tiny.test] unless ``source`` says otherwise. Yields (every URL requested, in
    order; sources.yml; artists.yml; the environment for :func:`scrapy_crawl`)."""
    hosts = {url.split("/")[2] for url in pages}
    served = {f"http://{host}/robots.txt": "User-agent: *\nAllow: /\n" for host in hosts}
    served.update(pages)
    hits: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            # A request through a proxy names the whole URL: GET http://host/path
            hits.append(self.path)
            text = served.get(self.path)
            body = (text if text is not None else "not found").encode()
            self.send_response(200 if text is not None else 404)
            xml = self.path.endswith(".xml")
            plain = self.path.endswith(".txt")
            kind = "application/xml" if xml else "text/plain" if plain else "text/html"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serve_locally(Proxy) as proxy:
        sources = folder / "sources.yml"
        entry = {
            "id": "tiny",
            "name": "Tiny",
            "homepage": "http://www.tiny.test/",
            "allowed_domains": ["www.tiny.test"],
            **source,
        }
        sources.write_text(json.dumps({"sources": [entry]}))
        artists = folder / "artists.yml"
        artists.write_text("artists:\n  - name: Lady Gaga\n")
        yield hits, sources, artists, {"http_proxy": f"http://{proxy}"}
