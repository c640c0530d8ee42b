"""Whether an extracted page is an article to archive, or why not.

A publisher's article URL does not always answer with an article. Besides pages with no
title or too little text (``not_article``), many sites answer a story they no longer
have, or never had, with a "Page not found" page and status 200 (a *soft 404*): its
"Recent posts" or "Latest stories" links give it plenty of words and name the watched
artists, so it passed the word count and the tagger and was archived as an article.
A page whose headline says nothing (none, or the site's name) but whose text opens with
"The page you requested could not be found" is a soft 404 too; a story that quotes those
words under its own headline is not.

A bot check or a CDN's error page served with status 200 is ``blocked``, not
``not_article``: the story is likely there on the next try. Only a page that looks like
such a page is: no article markup, a headline that is absent, the site's name or the
error itself, and little text. A news brief about an outage that quotes "502 Bad
Gateway" is judged as any other page (archived, or ``not_article`` when too short), not
fetched again on every run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from newscrawl.extract.document import site_key

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
    r"|(?:the\s+)?(?:page|url|link|story|article|content)\s+you\s+"
    r"(?:requested|were\s+trying\s+to\s+reach|tried\s+to\s+(?:reach|access|visit)|followed)\s+"
    r"(?:(?:(?:could|can)\s*not|cannot|can't|couldn't|was\s+not|wasn't|is\s+not|isn't)\s+"
    r"(?:be\s+)?(?:found|located)|(?:was|has\s+been)\s+(?:removed|deleted)"
    r"|(?:does\s*not|doesn't)\s+exist|(?:is\s+)?no\s+longer\s+(?:available|exists))"
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
    r"attention required!? \| cloudflare|sorry, you have been blocked|"
    r"you don't have permission to access|"
    r"guru meditation|backend fetch failed|"
    r"\b(?:502:? bad gateway|503:? service (?:temporarily )?unavailable|504:? gateway time-?out)\b|"
    r"\berror code 5\d\d\b",
    re.IGNORECASE,
)
# Every match of _BLOCKED contains one of these once lowercased, and `in` on the text is
# far cheaper than the case-insensitive search from every position (~0.6 ms on a 5 KB
# story, in the crawl's own process). Two characters lowercase to an ASCII letter plus
# more (U+0130 "İ", U+212A Kelvin sign) and two others match an ASCII letter under
# IGNORECASE without lowercasing to it (U+0131 "ı", U+017F "ſ"): text holding one of
# them goes to the regex as before.
_BLOCKED_WORDS = (
    "checking ",
    "enable javascript and cookies to continue",
    "needs to review the security of your connection",
    "verify",
    "attention required",
    "sorry, you have been blocked",
    "you don't have permission to access",
    "guru meditation",
    "backend fetch failed",
    "bad gateway",
    "unavailable",
    "gateway time",
    "error code 5",
)
_FOLDS_TO_ASCII = ("\u0130", "\u212a", "\u0131", "\u017f")


def blocked_phrase(text: str) -> re.Match | None:
    """The first bot-check or error-page phrase of :data:`_BLOCKED` in ``text``."""
    lowered = text.lower()
    if not any(word in lowered for word in _BLOCKED_WORDS) and not any(
        char in text for char in _FOLDS_TO_ASCII
    ):
        return None
    return _BLOCKED.search(text)


# The headline of such a page once its status code, "error" and punctuation are taken
# out (nginx's "502 Bad Gateway", Fastly's "Error 503 Backend fetch failed",
# Cloudflare's "Just a moment..." and "Bad gateway Error code 502", Akamai's "Access
# Denied"). A story's headline that quotes one says more than that.
_ERROR_TITLE_NOISE = re.compile(r"\b(?:error|code|http|\d{3})\b|[^\w\s']")
_ERROR_TITLES = frozenset(
    {
        "",
        "bad gateway",
        "service unavailable",
        "service temporarily unavailable",
        "gateway timeout",
        "gateway time out",
        "backend fetch failed",
        "access denied",
        "forbidden",
        "too many requests",
        "internal server error",
        "just a moment",
        "attention required",
        "attention required cloudflare",
        "please wait",
        "one more step",
        "security check",
        "are you a robot",
        "are you a human",
        "request rejected",
        "request blocked",
        "you have been blocked",
        "sorry you have been blocked",
        "pardon our interruption",
    }
)
# Provenance labels that only a publisher's article template gives (structured data, a
# byline, a dated line): a CDN's or a bot check's own page carries none of them.
_ARTICLE_MARKUP = frozenset(
    {"jsonld", "microdata", "opengraph", "meta", "byline", "time", "dateline", "relative"}
)
# More text than a CDN's error page or a bot check holds (Cloudflare's 5xx page: ~45
# words); a story is not read for a block message past this.
ERROR_PAGE_WORDS = 120
# An error page opens with its message: only short paragraphs with little text before
# them (a menu's "Home", "Music", an "Oops!") are read for it.
_WORDS_BEFORE_MESSAGE = 25
_ERROR_PARAGRAPH_WORDS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_DOMAIN_NAME = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}")


def _fold(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").lower().split())


def soft_404_headline(title: str | None) -> bool:
    """True when ``title`` is the headline of an error page ("Page not found", "Oops!
    That page can't be found.", "404", "This story is no longer available")."""
    if not title:
        return False
    return bool(_SOFT_404_HEADLINE.fullmatch(_fold(title)))


def generic_headline(title: str | None, url: str, site_names: Iterable[str] = ()) -> bool:
    """True when ``title`` says nothing about a story: there is none, or it is only the
    site's name (one of ``site_names``, or the host of ``url``: "Popwire",
    "popwire.example") or a domain name (a bot check names the zone it guards, which
    may not be the host the page was fetched from)."""
    if not title or _DOMAIN_NAME.fullmatch(title.strip().lower()):
        return True
    host = (urlsplit(url or "").hostname or "").removeprefix("www.")
    names = {site_key(name) for name in (*site_names, host, host.split(".")[0])}
    return site_key(title) in names - {""}


def soft_404_body(body: str | None) -> str | None:
    """The error message ("The page you requested could not be found.") that a short
    paragraph near the start of ``body`` opens with, or None. A story that quotes the
    message inside a sentence does not open a paragraph with it."""
    before = 0
    for paragraph in (body or "").split("\n\n"):
        if before >= _WORDS_BEFORE_MESSAGE:
            break
        words = len(paragraph.split())
        before += words
        if words > _ERROR_PARAGRAPH_WORDS:
            continue
        sentences = _SENTENCE_END.split(paragraph.strip())
        for end in range(1, min(len(sentences), 3) + 1):
            opening = " ".join(sentences[:end])
            if _SOFT_404_HEADLINE.fullmatch(_fold(opening)):
                return opening
    return None


def error_page_look(fields: Mapping[str, Any], site_names: Iterable[str] = ()) -> bool:
    """Whether the extracted ``fields`` look like a CDN's error page or a bot check
    rather than a publisher's page: no article markup, a headline that is absent, the
    site's name or the error itself, and little text."""
    provenance = fields.get("provenance") or {}
    if fields.get("authors") or _ARTICLE_MARKUP & set(map(str, provenance.values())):
        return False
    if (fields.get("word_count") or 0) > ERROR_PAGE_WORDS:
        return False
    title = fields.get("title")
    if generic_headline(title, fields.get("url") or "", site_names):
        return True
    return " ".join(_ERROR_TITLE_NOISE.sub(" ", _fold(title)).split()) in _ERROR_TITLES


def why_not_an_article(
    fields: Mapping[str, Any], *, min_words: int, site_names: Iterable[str] = ()
) -> tuple[str, str] | None:
    """``(reason, detail)`` of the ``extract`` drop for a page whose extracted ``fields``
    are not an article to archive, or None when they are one. ``site_names`` are the
    names the publisher goes by (its ``name`` in sources.yml): a headline that is only
    one of them says nothing about a story."""
    site_names = tuple(site_names)
    title = fields.get("title")
    words = fields.get("word_count") or 0
    if soft_404_headline(title):
        return "soft_404", f"an error page served with status 200: {title!r}"
    text = f"{title or ''}\n{fields.get('body') or ''}".replace("\u2019", "'")
    if (blocked := blocked_phrase(text)) and error_page_look(fields, site_names):
        return "blocked", f"a bot check or error page served with status 200: {blocked[0]!r}"
    if generic_headline(title, fields.get("url") or "", site_names) and (
        message := soft_404_body(fields.get("body"))
    ):
        return "soft_404", f"an error page served with status 200: {message!r}"
    if not title or (words < min_words and not fields.get("is_paywalled")):
        return "not_article", f"title={bool(title)}, {words} words"
    return None
