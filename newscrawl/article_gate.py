"""Whether an extracted page is an article to archive, or why not.

A publisher's article URL does not always answer with an article. Besides pages with no
title or too little text (``not_article``), many sites answer a story they no longer
have, or never had, with a "Page not found" page and status 200 (a *soft 404*): its
"Recent posts" or "Latest stories" links give it plenty of words and name the watched
artists, so it passed the word count and the tagger and was archived as an article.
A bot check or a CDN's error page served with status 200 is ``blocked``, not
``not_article``: the story is likely there on the next try.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# The whole headline of an error page, after the extractor removed the site name. A
# headline that only contains such words ("Lady Gaga's 'Page Not Found' video") is an
# article, so the pattern must match the headline from start to end.
_SOFT_404_HEADLINE = re.compile(
    r"(?:(?:oops|whoops|uh[- ]oh|hmm+|sorry|error)\b[\s!,.:…-]*)*"
    r"(?:"
    r"(?:error\s*)?404(?:\s*error)?(?:\s*[-:|–—]?\s*(?:page\s+)?not\s+found)?"
    r"|(?:(?:the|this|that)\s+)?(?:page|story|article|content|post)\s+"
    r"(?:(?:was|is|could|can)\s*(?:not|n't)|cannot|can't|couldn't)\s+(?:be\s+)?found"
    r"|(?:page|story|article|content|post)\s+not\s+found"
    r"|not\s+found"
    r"|(?:the\s+)?page\s+you(?:'re|\s+are|\s+were)\s+looking\s+for\s+"
    r"(?:(?:cannot|can't|could\s*not|couldn't)\s+be\s+found|(?:does\s*not|doesn't)\s+exist"
    r"|(?:is|was)\s+(?:not\s+found|no\s+longer\s+available|removed))"
    r"|(?:(?:the|this|that)\s+)?(?:page|story|article|content|post|video)\s+"
    r"(?:is\s+no\s+longer\s+available|(?:is\s+)?(?:not|no\s+longer)\s+available"
    r"|(?:has\s+been|was)\s+removed|(?:does\s*not|doesn't)\s+exist(?:\s+anymore)?)"
    r"|we\s+(?:can't|cannot|couldn't|could\s+not)\s+find\s+(?:that|this|the)\s+page"
    r"|nothing\s+(?:was\s+)?found"
    r")"
    r"[\s!.…]*",
)


# What a bot check, an access-denied page or a CDN's error page says when served with
# status 200 in place of the story (Cloudflare, Akamai, Varnish, nginx). The story is
# likely there on the next try: unlike a not_article page, it is fetched again next run.
_BLOCKED = re.compile(
    r"checking (?:if the site connection is secure|your browser before accessing)|"
    r"enable javascript and cookies to continue|"
    r"needs to review the security of your connection|"
    r"verify(?:ing)? you are (?:a )?human|"
    r"attention required!? \| cloudflare|"
    r"you don't have permission to access|"
    r"guru meditation|backend fetch failed|"
    r"\b(?:502 bad gateway|503 service (?:temporarily )?unavailable|504 gateway time-?out)\b",
    re.IGNORECASE,
)


def soft_404_headline(title: str | None) -> bool:
    """True when ``title`` is the headline of an error page ("Page not found", "Oops!
    That page can't be found.", "404", "This story is no longer available")."""
    if not title:
        return False
    text = " ".join(title.replace("\u2019", "'").lower().split())
    return bool(_SOFT_404_HEADLINE.fullmatch(text))


def why_not_an_article(fields: Mapping[str, Any], *, min_words: int) -> tuple[str, str] | None:
    """``(reason, detail)`` of the ``extract`` drop for a page whose extracted ``fields``
    are not an article to archive, or None when they are one."""
    title = fields.get("title")
    words = fields.get("word_count") or 0
    if soft_404_headline(title):
        return "soft_404", f"an error page served with status 200: {title!r}"
    if not title or (words < min_words and not fields.get("is_paywalled")):
        # Only a page too short to be the story is read for a block message: a story
        # about a Cloudflare outage quotes them.
        text = f"{title or ''}\n{fields.get('body') or ''}".replace("\u2019", "'")
        if blocked := _BLOCKED.search(text):
            return "blocked", f"a bot check or error page served with status 200: {blocked[0]!r}"
        return "not_article", f"title={bool(title)}, {words} words"
    return None
