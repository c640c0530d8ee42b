"""Shared fixtures: the demo publishers on real local ports, and real crawls.

Crawls run as real ``scrapy crawl news`` processes against the demo publishers served
from this test process (threads on 127.0.0.1, port 0), into temporary databases.
"""

from __future__ import annotations

import pytest

from newscrawl.demo.catalog import load_catalog
from newscrawl.demo.server import DemoSites
from newscrawl.errors import NewscrawlError
from newscrawl.scale.local import RedisServer


@pytest.fixture(scope="session")
def demo_sites():
    """The demo publishers (edition 1), served for the whole session."""
    with DemoSites(port=0) as sites:
        yield sites


@pytest.fixture(scope="session")
def demo_catalog():
    return load_catalog(edition=1)


@pytest.fixture
def demo_config(tmp_path, demo_sites):
    """sources.yml and artists.yml pointing at the served demo publishers."""
    sources = demo_sites.write_sources(tmp_path / "sources.yml")
    artists = demo_sites.write_artists(tmp_path / "artists.yml")
    return sources, artists


@pytest.fixture
def redis_url():
    """A fresh redis-server per test (the "seen" set persists: tests must not share it)."""
    try:
        server = RedisServer()
    except NewscrawlError as error:
        pytest.fail(f"{error}; CI installs it with `apt-get install redis-server`")
    with server:
        yield server.url


@pytest.fixture
def redis_client(redis_url):
    import redis

    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()
