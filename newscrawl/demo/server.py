"""Serve the demo publishers over real HTTP on 127.0.0.1, one port per publisher.

>>> with DemoSites(port=0) as sites:           # doctest: +SKIP
...     sites.base_urls["popwire"]
'http://127.0.0.1:41234/'

Each publisher runs its own :class:`~http.server.ThreadingHTTPServer` (its own host:port,
so its own robots.txt) in a daemon thread of this process. Pages are rendered on
request from the catalogue of the current edition; :meth:`DemoSites.set_edition`
switches the edition live on the same ports.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from newscrawl.demo.catalog import Catalog, load_catalog
from newscrawl.demo.common import Response
from newscrawl.demo.config import artists_yaml, sources_yaml
from newscrawl.demo.model import DemoArticle
from newscrawl.errors import NewscrawlError

log = logging.getLogger("newscrawl.demo")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DemoSite/1.0"
    timeout = 30  # idle keep-alive connections end instead of lingering forever
    # Headers and body go out in separate writes; with Nagle's algorithm on, a keep-alive
    # response stalls ~40 ms waiting for the client's delayed ACK.
    disable_nagle_algorithm = True
    sites: DemoSites
    source_id: str

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        response = self.sites.respond(self.source_id, self.path)
        etag = '"' + hashlib.md5(response.body, usedforsecurity=False).hexdigest() + '"'
        status, body = response.status, response.body
        if status == 200 and self.headers.get("If-None-Match") == etag:
            status, body = 304, b""
        self.send_response(status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        if response.status == 200:
            self.send_header("ETag", etag)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.source_id, format % args)


class DemoSites:
    """The demo publishers, served on ``host`` from ``port`` (publisher i on port + i;
    ``port=0`` picks a free port for each). Use as a context manager or call
    :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        edition: int = 1,
        articles: int | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.articles = articles
        self.catalog: Catalog = load_catalog(edition, articles)
        self.hits: dict[str, Counter] = {p.id: Counter() for p in self.catalog.publishers}
        """Requests served, as ``{source_id: Counter({path_with_query: count})}``."""
        self._lock = threading.Lock()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self._origins: dict[str, str] = {}

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> DemoSites:
        """Bind every publisher's port and start serving; returns self."""
        if self._servers:
            return self
        try:
            for publisher in self.catalog.publishers:
                port = self.port + publisher.port_offset if self.port else 0
                handler = type(
                    f"{publisher.id}Handler",
                    (_Handler,),
                    {"sites": self, "source_id": publisher.id},
                )
                try:
                    server = ThreadingHTTPServer((self.host, port), handler)
                except OSError as error:
                    raise NewscrawlError(
                        f"cannot serve {publisher.name} on {self.host}:{port}: {error.strerror}"
                    ) from None
                server.daemon_threads = True
                self._servers[publisher.id] = server
                self._origins[publisher.id] = f"http://{self.host}:{server.server_address[1]}"
        except BaseException:
            self.stop()
            raise
        for publisher_id, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"demo-site-{publisher_id}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and release the ports."""
        for server in self._servers.values():
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> DemoSites:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- state ----------------------------------------------------------------------

    @property
    def edition(self) -> int:
        return self.catalog.edition

    def set_edition(self, edition: int) -> Catalog:
        """Serve ``edition`` from now on (same ports, same scale); returns its catalogue."""
        catalog = load_catalog(edition, self.articles)
        self.catalog = catalog
        return catalog

    @property
    def base_urls(self) -> dict[str, str]:
        """``{source_id: "http://127.0.0.1:PORT/"}`` of the running sites."""
        if not self._origins:
            raise RuntimeError("DemoSites is not started")
        return {source_id: origin + "/" for source_id, origin in self._origins.items()}

    def url(self, article: DemoArticle) -> str:
        """Absolute URL of a catalogue article on the running sites."""
        return article.url(self.base_urls)

    def reset_hits(self) -> None:
        with self._lock:
            for counter in self.hits.values():
                counter.clear()

    def respond(self, source_id: str, target: str) -> Response:
        """Answer a request for ``target`` (path + query) on publisher ``source_id``."""
        with self._lock:
            self.hits[source_id][target] += 1
        site = self.catalog.sites[source_id]
        try:
            return site.handle(target, self._origins)
        except Exception:  # a renderer bug must show up as a 500, not a dropped connection
            log.exception("demo site %s failed on %s", source_id, target)
            return Response(500, b"Internal Server Error", "text/plain; charset=utf-8")

    # --- config files ---------------------------------------------------------------

    def sources_yaml(self) -> str:
        """sources.yml text pointing at the served ports."""
        return sources_yaml(self.base_urls, articles=self.articles)

    def write_sources(self, path: str | Path) -> Path:
        """Write a sources.yml pointing at the served ports; returns the path."""
        return _write_atomically(Path(path), self.sources_yaml())

    def write_artists(self, path: str | Path) -> Path:
        """Write the demo watchlist (artists.yml); returns the path."""
        return _write_atomically(Path(path), artists_yaml())


def _write_atomically(path: Path, text: str) -> Path:
    # Readers poll for these files; they must never see a half-written one.
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        # The OSError named the hidden .partial file, not the path the user gave.
        raise NewscrawlError(f"{path}: cannot write it: {error.strerror}") from None
    return path
