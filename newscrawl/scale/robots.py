"""robots.txt for every waiting request (a fix of Scrapy 2.19 used in Redis mode).

Scrapy's ``RobotsTxtMiddleware.robot_parser`` lets every request to a host whose
robots.txt is still downloading await one shared Deferred. Under the asyncio reactor
each await turns that Deferred into a Future with ``Deferred.asFuture``, whose callback
returns None: only the first waiting request gets the parser; the others get None and
are downloaded unchecked. A Redis-mode worker often takes several requests for a host
it has not contacted yet from the shared queue at once, so it would fetch disallowed
pages. (A local crawl hits this too, e.g. ``-a urls=`` with several URLs on one host;
the same override belongs in :class:`newscrawl.middlewares.RobotsTxtCrawlDelayMiddleware`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from newscrawl.middlewares import RobotsTxtCrawlDelayMiddleware

if TYPE_CHECKING:
    from scrapy.http import Request


class SharedRobotsTxtMiddleware(RobotsTxtCrawlDelayMiddleware):
    """:class:`~newscrawl.middlewares.RobotsTxtCrawlDelayMiddleware` whose waiting
    requests all get the parsed robots.txt (module docstring)."""

    async def robot_parser(self, request: Request) -> Any:
        parser = await super().robot_parser(request)
        if parser is None:
            # Once parsed, the parser replaces the Deferred in _parsers (None if the
            # download failed, which allows everything, as in Scrapy).
            cached = self._parsers.get(urlparse_cached(request).netloc)
            if cached is not None and not isinstance(cached, Deferred):
                return cached
        return parser
