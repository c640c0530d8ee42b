"""Bundled demo publishers: fictional news sites served locally for demos, tests and
benchmarks, with an exact ground-truth catalogue.

- :func:`load_catalog` — what the sites serve (articles, statuses, channels, artists).
- :class:`DemoSites` — the sites over real HTTP on 127.0.0.1, one port per publisher.

See ``newscrawl/demo/README.md``. All article texts are fictional, except the seed
article, a real article from The Inquisitr kept as the project's seed.
"""

from newscrawl.demo.catalog import Catalog, load_catalog, load_watchlist
from newscrawl.demo.model import DemoArticle, DemoPage, Publisher
from newscrawl.demo.server import DemoSites

__all__ = [
    "Catalog",
    "DemoArticle",
    "DemoPage",
    "DemoSites",
    "Publisher",
    "load_catalog",
    "load_watchlist",
]
