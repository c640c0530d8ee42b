"""A JOBDIR left by a crawl that did not stop cleanly is not resumed from.

Scrapy writes a JOBDIR back only when the crawl closes: the queue's index
(``requests.queue/active.json``) and ``spider.state`` on close, while the seen-requests
filter (``requests.seen``) grows with every request. After ``kill -9``, a reboot, the
OOM killer or a second Ctrl-C, the filter holds every channel and article request the
crawl made, and the queue lost what was waiting: resumed as it is, the next run has
every request refused, fetches nothing and says "finished". So a crawl marks its JOBDIR
while it runs (``newscrawl.running``) and clears the mark when Scrapy has written the
JOBDIR back; a crawl that finds a stale mark starts the job afresh, and the archive
(what is stored is skipped; after an unfinished run listings are walked to
``max_listing_pages``) finds what the lost run did not store.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.errors import NewscrawlError
from newscrawl.store_rows import utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

MARK = "newscrawl.running"
# What Scrapy keeps in a JOBDIR (scheduler queue, duplicate filter, SpiderState); only
# these are removed, whatever else the folder holds.
SCRAPY_JOB_FILES = ("requests.queue", "requests.seen", "spider.state")


def _boot_id() -> str:
    """This boot of the machine (Linux), so a mark from before a reboot is never taken
    for a crawl still running under a reused pid."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _running(mark: dict[str, Any]) -> bool:
    """Whether the crawl that wrote ``mark`` is still running on this machine."""
    if mark.get("host") != socket.gethostname() or mark.get("boot") != _boot_id():
        return False
    try:
        os.kill(int(mark.get("pid", 0)), 0)
    except (ProcessLookupError, ValueError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    return int(mark.get("pid", 0)) > 0


def _read_mark(jobdir: Path) -> dict[str, Any] | None:
    try:
        text = (jobdir / MARK).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        mark = json.loads(text)
    except ValueError:
        return {}  # cut short by the crash itself: stale all the same
    return mark if isinstance(mark, dict) else {}


def check_job_dir(jobdir: str | os.PathLike | None) -> None:
    """Raise :class:`NewscrawlError` (one line) when another crawl is running with
    ``jobdir``: two processes sharing a JOBDIR's queue files corrupt each other's."""
    if not jobdir:
        return
    mark = _read_mark(Path(jobdir))
    if mark and _running(mark) and int(mark.get("pid", 0)) != os.getpid():
        raise NewscrawlError(
            f"{jobdir}: JOBDIR in use by a crawl still running (pid {mark['pid']},"
            f" started {mark.get('started_at', '?')}); wait for it or give this one another"
        )


def recover_job_dir(jobdir: str | os.PathLike) -> bool:
    """Start ``jobdir``'s job afresh when the crawl that last ran it did not stop cleanly
    (its mark is still there). Returns whether it did."""
    jobdir = Path(jobdir)
    check_job_dir(jobdir)
    mark = _read_mark(jobdir)
    if mark is None:
        return False
    for name in SCRAPY_JOB_FILES:
        path = jobdir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    (jobdir / MARK).unlink()
    logger.warning(
        "JOBDIR %s: the crawl that last ran it (pid %s, started %s) did not stop cleanly"
        " (killed, or stopped with a second Ctrl-C): its request queue is lost and its"
        " seen-requests filter would refuse every request, so the job starts afresh;"
        " pages already archived are skipped",
        jobdir,
        mark.get("pid", "?"),
        mark.get("started_at", "?"),
    )
    return True


class JobDirGuard:
    """Marks the JOBDIR while the crawl runs and starts a stale one afresh (module
    docstring). Does nothing without a JOBDIR."""

    def __init__(self, jobdir: Path) -> None:
        self.jobdir = jobdir

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobDirGuard:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured  # (no message: Scrapy would log one as a warning)
        guard = cls(Path(jobdir))
        # Before the scheduler is built: its duplicate filter reads requests.seen then.
        recover_job_dir(guard.jobdir)
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.engine_stopped, signal=signals.engine_stopped)
        return guard

    def spider_opened(self, spider: Any) -> None:
        self.jobdir.mkdir(parents=True, exist_ok=True)
        mark = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "boot": _boot_id(),
            "started_at": utcnow(),
        }
        (self.jobdir / MARK).write_text(json.dumps(mark), encoding="utf-8")

    def engine_stopped(self) -> None:
        # The scheduler closed its queue and SpiderState saved spider.state (both on the
        # spider's close, before the engine stops): the JOBDIR is whole again.
        with contextlib.suppress(FileNotFoundError):
            (self.jobdir / MARK).unlink()
