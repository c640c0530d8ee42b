"""Shared fixtures: the demo publishers on real local ports, and real crawls.

Crawls run as real ``scrapy crawl news`` processes against the demo publishers served
from this test process (threads on 127.0.0.1, port 0), into temporary databases.
"""

from __future__ import annotations

import pytest

from newscrawl.demo.catalog import load_catalog
from newscrawl.demo.server import DemoSites


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
