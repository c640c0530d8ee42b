"""The headline: JSON-LD / microdata headline, og:title, the visible ``<h1>``, meta titles
and ``<title>``, with " | Site Name" style suffixes removed and agreement between
sources deciding between an SEO headline and the displayed one."""

from __future__ import annotations

import re

from newscrawl.extract.document import NOTHING, Document, Value
from newscrawl.extract.normalize import clean_text

_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|•|·|::|\*|»|«|~|/)\s+|\s*\|\s*")
_QUOTES = (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-"))
# End punctuation a title key drops. clean_text leaves no whitespace but single inner
# spaces, so stripping these characters and the space removes what the regex
# ``[\s.…:;,!?]+$`` would, without trying it from every position of the text.
_END_CHARS = " .…:;,!?"
_BY = re.compile(r"^(by|par|von|por)\s+\S", re.IGNORECASE)
MAX_TITLE = 400


def key(text: str | None) -> str:
    """Comparable form of a title: case, quotes, dashes and end punctuation folded."""
    text = clean_text(text).casefold()
    if not text.isascii():
        for curly, straight in _QUOTES:
            text = text.replace(curly, straight)
    return text.rstrip(_END_CHARS)


def strip_site(title: str, doc: Document, extra_suffixes: set[str] | None = None) -> str:
    """``title`` without leading/trailing segments naming the site (or its author)."""
    extra = extra_suffixes or set()
    for _ in range(4):
        parts = _SEPARATOR.split(title)
        if len(parts) < 2:
            break
        last, first = parts[-1].strip(), parts[0].strip()
        separators = list(_SEPARATOR.finditer(title))
        if last and (doc.is_site_name(last) or _BY.match(last) or key(last) in extra):
            title = title[: separators[-1].start()].strip()
        elif first and doc.is_site_name(first):
            title = title[separators[0].end() :].strip()
        else:
            break
    return title


def _candidates(doc: Document) -> dict[str, tuple[str, str, bool]]:
    """Raw title candidates by role: ``(text, provenance label, was HTML-escaped)``."""
    found: dict[str, tuple[str, str, bool]] = {}
    headline = doc.ld("headline") or doc.ld("name")
    if isinstance(headline, list):
        headline = headline[0] if headline else None
    if clean_text(headline):
        found["ld"] = (clean_text(headline), "jsonld", "&#" in str(headline))
    elif doc.microdata.first("headline"):
        found["ld"] = (clean_text(doc.microdata.first("headline")), "microdata", False)
    og = doc.first_meta("og:title", "twitter:title")
    if og:
        found["og"] = (og[1], "opengraph" if og[0].startswith("og:") else "meta", False)
    meta = doc.first_meta("title", "parsely-title", "sailthru.title", "dc.title", "dcterms.title")
    if meta:
        found["meta"] = (meta[1], "meta", False)
    if doc.title_tag:
        found["title"] = (doc.title_tag, "html", False)
    return {role: (text[:MAX_TITLE], *rest) for role, (text, *rest) in found.items()}


def _repeated_suffixes(texts: list[str], reference: str | None) -> set[str]:
    """Short trailing segments several sources carry but the visible headline lacks
    (``X - National | Globalnews.ca``)."""
    if not reference:
        return set()
    counts: dict[str, int] = {}
    for text in texts:
        parts = _SEPARATOR.split(text)
        if len(parts) > 1 and len(parts[-1].split()) <= 4:
            counts[key(parts[-1])] = counts.get(key(parts[-1]), 0) + 1
    return {
        suffix
        for suffix, count in counts.items()
        if count >= 2 and suffix and not key(reference).endswith(suffix)
    }


def _best_h1(doc: Document, others: list[str]) -> str | None:
    keys = {key(o) for o in others}
    for _, text in doc.h1s:
        if key(text) in keys:
            return text
    for _, text in doc.h1s:
        for other in keys:
            if other and (key(text).startswith(other) or other.startswith(key(text))):
                return text
    texts = [t for _, t in doc.h1s[:5] if len(t.split()) >= 3]
    return texts[0] if texts else (doc.h1s[0][1] if doc.h1s else None)


def title(doc: Document) -> Value:
    """The article headline and its source."""
    found = _candidates(doc)
    h1 = _best_h1(doc, [text for text, *_ in found.values()])
    if h1:
        found["h1"] = (clean_text(h1)[:MAX_TITLE], "html", False)
    if not found:
        return NOTHING
    reference = (found.get("h1") or found.get("ld") or (None,))[0]
    suffixes = _repeated_suffixes([text for text, *_ in found.values()], reference)
    cleaned = {
        role: (strip_site(text, doc, suffixes), src) for role, (text, src, _) in found.items()
    }
    # A candidate that is another candidate plus " | something" is that candidate.
    for role, (text, src) in list(cleaned.items()):
        for other, _ in cleaned.values():
            if other and len(other) < len(text) and key(text).startswith(key(other)):
                rest = text[len(other) :]
                if _SEPARATOR.match(rest) or rest.strip() in ("", "…", "..."):
                    cleaned[role] = (other, src)
    ld, og, h1v = (cleaned.get(r, (None, None)) for r in ("ld", "og", "h1"))
    if ld[0]:
        ld_key = key(ld[0]).rstrip("…. ")
        longer = [c for c in (og, h1v) if c[0] and key(c[0]).startswith(ld_key) and c[0] != ld[0]]
        if ld[0].endswith(("…", "...")) and longer:
            return Value(longer[0][0], longer[0][1])
        if og[0] and key(og[0]) == key(ld[0]) and found["ld"][2]:
            # The JSON-LD headline was HTML-escaped (a CMS "texturized" its quotes);
            # og:title holds the headline as written.
            return Value(og[0], og[1])
        if h1v[0] and key(h1v[0]) == key(ld[0]):
            return Value(ld[0], ld[1])
        if og[0] and h1v[0] and key(og[0]) == key(h1v[0]):
            return Value(og[0], og[1])
        return Value(ld[0], ld[1])
    for role in ("og", "meta", "h1", "title"):
        text, src = cleaned.get(role, (None, None))
        if text:
            if role in ("meta", "title") and "h1" not in cleaned:
                text = _displayed_part(doc, text)
            return Value(text, src)
    return NOTHING


def _displayed_part(doc: Document, title: str) -> str:
    """The part of a "Site :: Headline" title that the page displays on its own (old
    templates without ``<h1>`` or metadata show the headline in bold text)."""
    separators = list(_SEPARATOR.finditer(title))
    options = [title[s.end() :] for s in separators] + [title[: s.start()] for s in separators]
    for option in sorted(options, key=len, reverse=True):
        option = option.strip()
        if len(option) >= 10 and doc.tree.xpath("//body//*[normalize-space(.) = $t]", t=option):
            return option
    return title
