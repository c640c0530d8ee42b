"""The crawl benchmark's baseline: a bare Scrapy spider that only fetches article pages.

It requests every URL listed in a file (lines ``SOURCE_ID URL``: the article pages of the
scaled demo site) and does nothing with the responses: no discovery, no items, no
pipelines, no ledger. Like the ``news`` spider it gives each source its own download slot
(the demo publishers share one host, 127.0.0.1, on different ports). Run inside the
project so it gets the same downloader settings and middlewares (robots.txt included):

    .venv/bin/python -m scrapy runspider bench/bare_spider.py -a urls_file=URLS.txt \\
        -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=0 -s CONCURRENT_REQUESTS_PER_DOMAIN=8
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Request, Response


class BareSpider(scrapy.Spider):
    """Fetch the URLs of ``urls_file`` (``SOURCE_ID URL`` lines) and discard the responses."""

    name = "bare"
    # Same downloader as the news spider; none of its item pipelines or extensions.
    custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}

    def __init__(self, *args: Any, urls_file: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not urls_file:
            raise ValueError("bare spider: -a urls_file=PATH is required")
        lines = Path(urls_file).read_text("utf-8").splitlines()
        self.urls = [tuple(line.split(None, 1)) for line in lines if line.strip()]

    async def start(self) -> AsyncIterator[Request]:
        for source_id, url in self.urls:
            meta = {"download_slot": source_id}
            yield Request(url, callback=self.parse_article, meta=meta)

    def parse_article(self, response: Response) -> None:
        self.crawler.stats.inc_value("bare/article_pages")
        self.crawler.stats.inc_value("bare/article_bytes", len(response.body))
