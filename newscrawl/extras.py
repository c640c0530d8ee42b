"""Optional dependencies: a missing one is a one-line error naming the extra to install.

``pip install -e .`` installs the crawler, the archive and Datasette. Parquet exports
need ``pyarrow`` (extra ``export``), and Redis mode (workers and ``newscrawl ingest``)
needs the ``scale`` extra. Without these checks a user met a ``ModuleNotFoundError``
traceback, for an export after its staging folder was made.
"""

from __future__ import annotations

import importlib

from newscrawl.errors import NewscrawlError

# What Redis mode imports: the client, and scrapy-redis for the shared frontier.
SCALE_MODULES = ("redis", "scrapy_redis")


def require(feature: str, extra: str, *modules: str) -> None:
    """Raise a :class:`NewscrawlError` unless every one of ``modules`` can be imported."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise NewscrawlError(
                f"{feature} needs the '{extra}' extra, and {module} is not installed: "
                f"pip install 'newscrawl[{extra}]'"
            ) from None


def require_scale(feature: str) -> None:
    require(feature, "scale", *SCALE_MODULES)
