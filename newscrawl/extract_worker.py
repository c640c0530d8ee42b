"""What an extraction worker process runs (the extract step's pool, ``newscrawl.workers``).

Apart from :mod:`newscrawl.pipelines` so that a worker imports the extractor and nothing
of the crawler: unpickling a function of ``newscrawl.pipelines`` imported the crawl side
(Scrapy, the store, sqlite-utils, warcio) into every worker: up to 0.7 s of CPU and
~44 MB of RSS each (``bench/memory.py``). The pool's forkserver preloads
this module (:data:`PRELOAD`), so its workers are forked with the extractor already
imported instead of each importing it again.
"""

from __future__ import annotations

import os
import threading
import time

from newscrawl.extract import ExtractError, extract_article

PRELOAD = (__name__, "newscrawl.extract.pipeline")
"""The modules a worker pool's forkserver imports before it forks any worker: this one
and the extractor proper (lxml, trafilatura, ...), which the crawl process itself never
imports when extraction runs in workers."""


def exit_with(crawl_pid: int) -> None:
    """Worker initializer: leave when the crawl process is gone. A crawl killed with -9
    never shuts its pool down, and its idle workers (and their forkserver) would wait
    for work forever."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(crawl_pid, 0)
            except (ProcessLookupError, PermissionError):  # gone (or the pid reused)
                os._exit(0)

    threading.Thread(target=watch, name="newscrawl-crawl-watch", daemon=True).start()


def extract_in_worker(
    body: bytes, url: str, headers: dict, evidence: dict, fetched_at: str = ""
) -> dict:
    """``extract_article`` as a picklable outcome: the fields, or the drop reason."""
    try:
        fields = extract_article(
            body, url, headers=headers, evidence=evidence, fetched_at=fetched_at or None
        )
        return {"fields": fields}
    except ExtractError as error:
        return {"error": error.reason, "detail": str(error)}
