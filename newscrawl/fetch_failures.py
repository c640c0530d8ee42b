"""Why a request failed, in the ledger's words (``drops.reason``, ``detail``, ``status``)."""

from __future__ import annotations

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.retry_after import PublisherThrottled

# Download failures by kind, for the ledger's ``fetch_error`` detail.
_FAILURE_KINDS = (
    ("timeout", ("DownloadTimeoutError", "TimeoutError", "TCPTimedOutError")),
    ("truncated", ("ResponseDataLossError", "_DataLoss")),
    ("connection_refused", ("DownloadConnectionRefusedError", "ConnectionRefusedError")),
    ("dns", ("CannotResolveHostError", "DNSLookupError")),
    (
        "connection_lost",
        ("DownloadFailedError", "ResponseNeverReceived", "ConnectionLost", "ConnectionDone"),
    ),
)


def requested_url(request: Request) -> str:
    """The URL the spider asked for, before any redirect (the ledger's key for it)."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def failure_reason(failure: Failure) -> tuple[str, str, int | None]:
    """The ledger's (reason, detail, status) for an article request that failed."""
    message = failure.getErrorMessage()
    if failure.check(HttpError):  # a status outside the spider's ARTICLE_STATUSES
        status = failure.value.response.status
        return "http_status", f"HTTP {status}", status
    if failure.check(PublisherThrottled):
        return "throttled", message, failure.value.status
    if failure.check(IgnoreRequest):
        lowered = message.lower()
        if "robots" in lowered:
            return "robots", message, None
        if "max redirections" in lowered:
            return "redirect_loop", "redirects never end (REDIRECT_MAX_TIMES reached)", None
        if "download_maxsize" in lowered:  # HttpCompressionMiddleware: a compression bomb
            return "too_large", message, None
        return "ignored", message, None
    if failure.check(DownloadCancelledError) and ("max size" in message or not message):
        return "too_large", message or "body larger than DOWNLOAD_MAXSIZE", None
    name = failure.type.__name__
    kind = next((k for k, names in _FAILURE_KINDS if name in names), name)
    return "fetch_error", f"{kind}: {name}: {message}", None
