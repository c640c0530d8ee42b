"""The smaller fields: canonical URL, description, section, tags, language, lead image,
paywall flag. Each is a function of the :class:`Document` returning a :class:`Value`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from newscrawl.extract.boilerplate import is_paywall_prompt
from newscrawl.extract.decode import header
from newscrawl.extract.document import NOTHING, Document, Value
from newscrawl.extract.jsonld import types_of
from newscrawl.extract.normalize import absolute_url, clean_text, normalise_language

MAX_TAGS = 50
MAX_TAG_CHARS = 80


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return next((v for v in value if v not in (None, "", [], {})), None)
    return value


def canonical_url(doc: Document) -> Value:
    """rel=canonical, og:url, JSON-LD url / mainEntityOfPage; else the page URL.

    A canonical that points at the site's home page is a template error and ignored."""
    page_path = urlsplit(doc.url).path.strip("/")
    candidates: list[tuple[Any, str]] = [(h, "html") for h in doc.links.get("canonical", [])[:1]]
    candidates += [(v, "opengraph") for v in doc.meta.get("og:url", [])[:1]]
    entity = doc.ld("mainEntityOfPage")
    if isinstance(entity, dict):
        entity = entity.get("@id") or entity.get("url")
    candidates += [(doc.ld("url"), "jsonld"), (entity, "jsonld")]
    for value, source in candidates:
        url = absolute_url(_first(value), doc.url)
        if url and (urlsplit(url).path.strip("/") or not page_path):
            return Value(url, source)
    return Value(doc.url, "url")


def description(doc: Document) -> Value:
    value = clean_text(_first(doc.ld("description")))
    if value:
        return Value(value, "jsonld")
    found = doc.first_meta("og:description", "description", "twitter:description", "dc.description")
    if found:
        return Value(found[1], "opengraph" if found[0].startswith("og:") else "meta")
    value = clean_text(doc.microdata.first("description"))
    return Value(value, "microdata") if value else NOTHING


_NO_SECTION = frozenset(("uncategorized", "uncategorised", "general", "none", "null", "default"))


def _section_name(value: Any) -> str:
    """A section name; "Global,Innovation" lists keep the first, CMS defaults are none."""
    text = clean_text(_first(value))
    if "," in text and ", " not in text:
        text = text.split(",")[0].strip()
    return "" if text.casefold() in _NO_SECTION else text


def section(doc: Document) -> Value:
    value = _section_name(doc.ld("articleSection"))
    if value:
        return Value(value, "jsonld")
    value = _section_name(doc.microdata.first("articlesection"))
    if value:
        return Value(value, "microdata")
    for key in ("article:section", "parsely-section", "section", "sailthru.section"):
        value = _section_name(doc.meta.get(key))
        if value:
            return Value(value, "opengraph" if key.startswith("article:") else "meta")
    value = _breadcrumb(doc)
    if value:
        return Value(value, "breadcrumb")
    categories = doc.evidence.get("categories")
    value = clean_text(_first(categories)) if categories else ""
    return Value(value, doc.evidence_source) if value else NOTHING


_CRUMB_SEPARATOR = re.compile(r"\s*(?:>|»|›|/|\|)\s*")
_HOME = frozenset(
    ("home", "homepage", "start", "news", "index", "article", "articles", "story", "stories")
    + ("blog", "posts", "page", "pages", "content")
)


def _crumbs_section(crumbs: list[str], doc: Document) -> str | None:
    """The last crumb that is not "Home", the site, or the article itself."""
    title = (doc.title_tag or "").casefold()
    for crumb in reversed(crumbs):
        crumb = clean_text(crumb)
        folded = crumb.casefold()
        if not crumb or len(crumb) > 60 or folded in _HOME or doc.is_site_name(crumb):
            continue
        if len(crumb) > 25 and folded in title:
            continue  # the article's own title as the last crumb
        return crumb
    return None


def _breadcrumb(doc: Document) -> str | None:
    """Section from a breadcrumb trail: JSON-LD BreadcrumbList, an element named
    breadcrumb, or a short "News > Music" line above the headline."""
    for node in doc.jsonld.nodes:
        if "breadcrumblist" in types_of(node):
            items = node.get("itemListElement")
            items = items if isinstance(items, list) else [items]
            names = []
            for item in items:
                item = doc.jsonld.resolve(item)
                if isinstance(item, dict):
                    inner = doc.jsonld.resolve(item.get("item"))
                    name = item.get("name") or (
                        inner.get("name") if isinstance(inner, dict) else None
                    )
                    names.append(clean_text(name))
            found = _crumbs_section(names, doc)
            if found:
                return found
    for element in doc.tree.xpath(
        "//body//*[contains(translate(@class, 'BREADCUM', 'breadcum'), 'breadcrumb')"
        " or contains(translate(@id, 'BREADCUM', 'breadcum'), 'breadcrumb')][1]"
    ):
        links = [a.text_content() for a in element.iter("a")]
        found = _crumbs_section(links or _CRUMB_SEPARATOR.split(element.text_content()), doc)
        if found:
            return found
    start = doc.headline_position()
    if start > 0:
        query = "contains(., '>') or contains(., '»') or contains(., '›')"
        for position, line in doc.text_lines(query, limit=20):
            if position < start and len(line) <= 80 and start - position < 40:
                found = _crumbs_section(_CRUMB_SEPARATOR.split(line), doc)
                if found:
                    return found
    return None


def _split_tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [tag for item in value for tag in _split_tags(item)]
    if isinstance(value, dict):
        return _split_tags(value.get("name"))
    text = clean_text(value)
    if not text:
        return []
    return [t.strip() for t in re.split(r"[,;|]", text) if t.strip()]


def tags(doc: Document) -> Value:
    """Keywords: JSON-LD keywords, article:tag, news_keywords, Parse.ly / Sailthru tags."""
    layers: list[tuple[list[str], str]] = [
        (_split_tags(doc.ld("keywords")), "jsonld"),
        (_split_tags(doc.microdata.props.get("keywords")), "microdata"),
        (_split_tags(doc.meta.get("article:tag")), "opengraph"),
    ]
    for key in ("news_keywords", "parsely-tags", "sailthru.tags", "keywords"):
        layers.append((_split_tags(doc.meta.get(key)), "meta"))
    layers.append((_split_tags(doc.evidence.get("keywords")), doc.evidence_source))
    for values, source in layers:
        out, seen = [], set()
        for tag in values:
            tag = tag.strip(" #")
            if ":" in tag and tag.split(":", 1)[0].isidentifier() and " " not in tag:
                tag = tag.split(":", 1)[1]  # "section:music" style machine tags
            labelled = _LABELLED.match(tag)
            if labelled and _TOPIC_LABEL.search(labelled.group(1)):
                tag = tag[labelled.end() :].strip()  # "Subject: Justice" → "Justice"
            folded = tag.casefold()
            if not tag or len(tag) > MAX_TAG_CHARS or folded in seen or _machine_tag(tag, doc):
                continue
            seen.add(folded)
            out.append(tag)
        if out:
            return Value(out[:MAX_TAGS], source)
    return Value([], None)


_HASH = re.compile(
    r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^[0-9a-f]{16,}$", re.I
)
_LABELLED = re.compile(r"^([A-Za-z][\w ]{0,30}):\s+(?=\S)")
_TOPIC_LABEL = re.compile(r"subject|topic|tag|keyword|entit|person|people|organi[sz]|place", re.I)


def _machine_tag(tag: str, doc: Document) -> bool:
    """Analytics and CMS tags that are not topics: ids, "Page Type: Article" labels,
    "Uncategorized", the site's own name."""
    return bool(
        _HASH.match(tag)
        or _LABELLED.match(tag)
        or tag.casefold() in _NO_SECTION
        or doc.is_site_name(tag, publisher=False)
    )


def language(doc: Document) -> Value:
    """``<html lang>``, og:locale, JSON-LD inLanguage, meta / HTTP Content-Language."""
    layers = [
        (doc.tree.get("lang") or doc.tree.get("xml:lang"), "html"),
        (_first(doc.meta.get("og:locale")), "opengraph"),
        (_first(doc.ld("inLanguage", pages=True)), "jsonld"),
        (doc.microdata.first("inlanguage"), "microdata"),
        (_first(doc.meta.get("content-language") or doc.meta.get("dc.language")), "meta"),
        (header(doc.headers, "content-language"), "http"),
    ]
    for value, source in layers:
        if isinstance(value, dict):
            value = value.get("alternateName") or value.get("name")
        tag = normalise_language(value)
        if tag:
            return Value(tag, source)
    return NOTHING


def _image_url(value: Any) -> Any:
    value = _first(value)
    if isinstance(value, dict):
        return value.get("url") or value.get("contentUrl") or value.get("@id")
    return value


def image_url(doc: Document) -> Value:
    layers = [
        (_first(doc.meta.get("og:image") or doc.meta.get("og:image:url")), "opengraph"),
        (_first(doc.meta.get("og:image:secure_url")), "opengraph"),
        (_image_url(doc.ld("image")), "jsonld"),
        (_image_url(doc.ld("thumbnailUrl")), "jsonld"),
        (doc.microdata.first("image"), "microdata"),
        (_first(doc.meta.get("twitter:image") or doc.meta.get("twitter:image:src")), "meta"),
    ]
    for value, source in layers:
        url = absolute_url(value, doc.url)
        if url:
            return Value(url, source)
    url = _first_picture(doc)
    return Value(url, "html") if url else NOTHING


_NOT_PICTURE = re.compile(
    r"logo|icon|sprite|avatar|pixel|spacer|blank|badge|button|ads?[/_-]", re.I
)


def _first_picture(doc: Document) -> str | None:
    """The first sizeable image after the headline, for pages without image metadata."""
    start = doc.headline_position()
    if start < 0:
        return None
    for image in doc.tree.iter("img"):
        if doc.order.get(image, -1) <= start:
            continue
        src = image.get("src") or image.get("data-src") or ""
        if not src or src.startswith("data:") or _NOT_PICTURE.search(src):
            continue
        sizes = [image.get("width"), image.get("height")]
        if any(s and s.isdigit() and int(s) < 100 for s in sizes):
            continue
        return absolute_url(src, doc.url)
    return None


def _truth(value: Any) -> bool | None:
    value = _first(value)
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if text in ("true", "yes", "1", "free"):
        return True
    if text in ("false", "no", "0"):
        return False
    return None


def is_paywalled(doc: Document) -> Value:
    """True when the page marks the article as not free (JSON-LD ``isAccessibleForFree``,
    a ``hasPart`` marked so, or a locked/metered content tier) or shows a paywall's
    prompt ("Subscribe to continue reading"); None when it does not say."""
    nodes = [doc.article_node] if doc.article_node is not None else []
    nodes += doc.jsonld.pages()
    for node in nodes:
        free = _truth(node.get("isAccessibleForFree"))
        parts = node.get("hasPart")
        parts = parts if isinstance(parts, list) else [parts]
        for part in parts:
            part = doc.jsonld.resolve(part)
            if isinstance(part, dict) and _truth(part.get("isAccessibleForFree")) is False:
                free = False
        if free is not None:
            return Value(not free, "jsonld")
    free = _truth(doc.microdata.first("isaccessibleforfree"))
    if free is not None:
        return Value(not free, "microdata")
    tier = doc.first_meta("article:content_tier")
    if tier:
        text = tier[1].lower()
        if text in ("locked", "metered", "premium", "subscriber"):
            return Value(True, "opengraph")
        if text == "free":
            return Value(False, "opengraph")
    # Unmarked paywalls: the page shows a teaser and a prompt to subscribe (or register)
    # to read on. Without the flag, the teaser passed for the whole story.
    if any(is_paywall_prompt(line) for _, line in doc.short_lines):
        return Value(True, "html")
    return NOTHING
