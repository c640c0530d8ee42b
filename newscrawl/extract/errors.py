"""The one exception the extractor raises."""

from __future__ import annotations


class ExtractError(Exception):
    """A page that cannot be turned into an article.

    ``reason`` is a short code for the drops ledger: ``too_large``, ``not_html``,
    ``empty``, ``bad_url`` (the caller's page URL does not parse) or, for an
    unexpected failure inside the extractor, ``failed``;
    ``detail`` says more in words.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
