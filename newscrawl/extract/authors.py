"""Authors: a clean list of people's names.

Layers, the first that yields a name wins: JSON-LD ``author`` (strings, Person
objects, arrays, ``@id`` references), microdata, meta tags (``author``,
``article:author``, Parse.ly, Sailthru, Dublin Core, citation), the visible byline
(``rel=author``, ``.byline``, ``[class*=author]``), then the discovery evidence.
Every raw value goes through :func:`split_names`, which turns a byline such as
"By JANE DOE and John Roe For The Daily X | Updated 3:02 PM" into
``["Jane Doe", "John Roe"]``; after a comma, a place or role ("Jane Doe, Los Angeles",
"Jane Doe, Staff Writer") is not a second author (see :func:`_describes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import lxml.html

from newscrawl.extract.document import Document
from newscrawl.extract.jsonld import ORGANIZATION_TYPES, types_of
from newscrawl.extract.normalize import clean_text, fold, words

META_KEYS = (
    "author",
    "article:author",
    "og:article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "citation_author",
    "byl",
    "byline",
)
JOB_TITLES = words(
    """
    staff writer writers reporter reporters correspondent correspondents editor editors
    contributor contributors columnist columnists journalist journalists producer producers
    photographer photographers analyst critic intern freelancer staffer
    """
)
# Words that qualify a job title ("Senior Political Editor").
JOB_WORDS = JOB_TITLES | words(
    """
    senior chief deputy managing associate assistant executive bureau desk newsroom
    freelance special political politics national international health science business
    sports entertainment music culture technology tech news digital web online video data
    investigative lead principal director head contributing editorial staff wire opinion
    features feature global local general breaking
    """
)
# Words that are never a person when they stand alone.
NOT_PEOPLE = words(
    """
    staff admin administrator editor editors team newsroom guest anonymous unknown null
    none undefined user author authors contributor contributors by and the wire
    """
)
_PREFIX = re.compile(
    r"^\s*(?:(?:additional\s+)?(?:written|words|reported|reporting|story|text|posted|"
    r"published|compiled|"
    r"edited|interview|photos?|video|analysis)\s+(?:and\s+\w+\s+)?by|by|from|par|von|por)"
    r"\s*[:\-]?\s+",
    re.IGNORECASE,
)
# "Reporting by Jane Doe; Editing by John Roe": the editors are not authors.
_NOT_AUTHOR = re.compile(
    r"(?:^|[\s;,.])(?:editing|fact[- ]checking|graphics|design)\s+by\b.*$", re.I
)
# "By Jane Doe in Los Angeles": the place is not part of the name.
_IN_PLACE = re.compile(r"\s+(?:in|IN)\s+(?=[A-Z]).*$")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(
    r"(?:^|\s)@\w+|\b(?:twitter|x|instagram|email|e-mail)\s*:\s*\S*", re.IGNORECASE
)
_URL = re.compile(r"https?://\S+|www\.\S+|\S+\.(?:com|org|net|co\.\w\w)\S*", re.IGNORECASE)
_BREAKS = re.compile(r"\s*(?:\||•|·|—|–|\s-\s|\n|\(|\))\s*")
_FOR = re.compile(r"\s+(?:for|of|at)\s+(?=(?:the\s+)?[A-Z0-9])", re.IGNORECASE)
_SPLIT = re.compile(
    r"\s*(?:,|;|&|/|\s\+\s|\band\b|\bund\b|\bet\b|\by\b|\bwith\b)\s*", re.IGNORECASE
)
# A comma after a full name often says what the person is or where they write from,
# not who else wrote: "Jane Doe, Staff Writer", "Jane Doe, Los Angeles", "Jane Doe,
# Nashville, Tenn.", "Jane Doe, Variety". Such a part is a single word, a role, or
# starts / ends with a word that marks a place; a second author is a full name ("Jane
# Doe, John Roe").
PLACE_FIRST = words("new los las san santa st saint fort ft port mount mt lake north south")
PLACE_FIRST |= words("east west united")
PLACE_LAST = words("city county beach springs island islands heights")
_COMMA = re.compile(r"\s*,\s*")
_DATEISH = re.compile(r"\d|\b(?:updated|published|posted|modified|ago)\b", re.IGNORECASE)
_SUFFIXES = frozenset(("jr", "sr", "ii", "iii", "iv", "phd", "ph.d", "md", "esq"))
_SLUG = re.compile(r"^[a-z]+(?:-[a-z]+)+$")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
MAX_NAME = 60
MAX_AUTHORS = 12


def _title_word(word: str) -> str:
    word = word[:1].upper() + word[1:].lower()
    if len(word) > 2 and word[1] in "'’":
        return word[:2] + word[2].upper() + word[3:]  # O'Brien, D'Angelo
    if len(word) > 3 and word.startswith("Mc"):
        return "Mc" + word[2].upper() + word[3:]  # McDonald
    return word


def _title_case(name: str) -> str:
    return _WORD.sub(lambda m: _title_word(m.group(0)), name)


def clean_name(piece: str, doc: Document | None = None) -> str | None:
    """One person's name from a fragment, or None when the fragment is not a name."""
    piece = fold(piece).strip(" ,.;:-–—|*")
    piece = _PREFIX.sub("", piece).strip(" ,.;:-–—|*")
    if _SLUG.match(piece):
        piece = piece.replace("-", " ").title()
    tokens = piece.split()
    if tokens and tokens[-1].lower().strip(",.") in JOB_TITLES:
        kept = list(tokens)
        while kept and kept[-1].lower().strip(",.") in JOB_WORDS:
            kept.pop()
        # "Jane Doe Senior Editor" → "Jane Doe"; "Inquisitr Staff" stays a credit.
        if len(kept) >= 2:
            tokens = kept
    if not tokens or len(tokens) > 6:
        return None
    name = " ".join(tokens)
    lowered = name.lower()
    if lowered.strip(".") in _SUFFIXES:
        return None
    if len(name) > MAX_NAME or lowered in NOT_PEOPLE or _DATEISH.search(name):
        return None
    if not any(ch.isalpha() for ch in name) or (len(tokens) == 1 and name.islower()):
        return None
    if all(w.lower().strip(",.") in JOB_WORDS for w in tokens):
        return None
    if doc is not None and doc.is_site_name(name, publisher=False):
        return None
    if name.isupper() and len(name) > 3:
        name = _title_case(name)
    return name


def _describes(part: str) -> bool:
    """Whether ``part``, after a comma that follows a full name, describes that person
    (a place, a role, an employer) rather than naming another author."""
    tokens = [t.strip(".").lower() for t in part.split()]
    tokens = [t for t in tokens if t]
    if len(tokens) <= 1:
        return True
    if tokens[0] in PLACE_FIRST or tokens[-1] in PLACE_LAST:
        return True
    if tokens[:2] == ["special", "to"]:
        return True
    if tokens[-1] in JOB_TITLES:
        # "Times Staff Writer" is a role; "John Roe Senior Editor" names John Roe.
        while tokens and tokens[-1] in JOB_WORDS:
            tokens.pop()
        return len(tokens) < 2
    return False


def _comma_parts(segment: str) -> list[str]:
    """The comma-separated parts of ``segment`` that name people (see :func:`_describes`)."""
    parts = [part for part in _COMMA.split(segment) if part]
    kept = parts[:1]
    for part in parts[1:]:
        if len(kept[-1].split()) >= 2 and _describes(part):
            continue
        kept.append(part)
    return kept


def split_names(raw: Any, doc: Document | None = None) -> list[str]:
    """Names in a byline or author value (see the module docstring)."""
    text = clean_text(raw)
    if not text or len(text) > 400:
        return []
    text = _EMAIL.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    names: list[str] = []
    for segment in _BREAKS.split(text):
        segment = _PREFIX.sub("", segment.strip())
        if not segment:
            continue
        segment = _FOR.split(_NOT_AUTHOR.sub("", segment), maxsplit=1)[0]
        for part in _comma_parts(segment):
            for piece in _SPLIT.split(part):
                name = clean_name(_IN_PLACE.sub("", piece), doc)
                if name:
                    names.append(name)
    return names


def dedupe(names: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for name in names:
        key = re.sub(r"[^\w]+", " ", name.casefold()).strip()
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out[:MAX_AUTHORS]


def _literal(value: Any) -> Any:
    """A JSON-LD value object (``{"@value": "Jane Doe", "@language": "en"}``) as its value;
    of a list, the first item."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    return value


# "Doe, Jane" as a structured author value (a Person's name, a JSON-LD string, a meta
# tag such as citation_author) is one person written family name first, not two
# one-word names; "Jane Doe, John Roe" (several words a side) is two people. Visible
# bylines are not read this way: "Music, Culture" in a byline box is not a name.
_INVERTED = re.compile(r"^([^\W\d_][\w'’-]+),\s*([^\W\d_][\w'’-]+(?:\s+[^\W\d_]\.?)?)$")


def _person_name(name: Any) -> Any:
    if not isinstance(name, str):
        return name
    match = _INVERTED.match(name.strip())
    if not match:
        return name
    family, given = match.groups()
    first = given.split()[0].lower().strip(".")
    if first in _SUFFIXES or first in JOB_WORDS or family.lower() in JOB_WORDS:
        return name
    if family.isupper() != given.split()[0].isupper():
        return name  # "Reuters, AP": a credit and an agency code
    return f"{given} {family}"


def _ld_values(value: Any, doc: Document, depth: int = 0) -> list[tuple[str, str]]:
    """``(text, kind)`` for each author in a JSON-LD value; ``kind`` is ``person``,
    ``organization`` or ``text`` (a plain string that may hold several names)."""
    value = doc.jsonld.resolve(value)
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    if depth > 4 or value is None:
        return []
    if isinstance(value, list):
        return [found for item in value[:50] for found in _ld_values(item, doc, depth + 1)]
    if isinstance(value, dict):
        name = clean_text(_literal(value.get("name")))
        if not name:
            given = clean_text(_literal(value.get("givenName")))
            family = clean_text(_literal(value.get("familyName")))
            name = f"{given} {family}".strip()
        if not name:
            return []
        if any(t in ORGANIZATION_TYPES for t in types_of(value)):
            return [(name, "organization")]
        return [(_person_name(name), "person")]
    if isinstance(value, str):
        return [(_person_name(clean_text(value)), "text")]
    return []


def _organization(name: str, doc: Document) -> list[str]:
    """An Organization credited as author: the publisher itself is not an author (the
    byline or meta tags below may name the person); another organization, such as a
    news agency on a syndicating site, is credited by its name, which is not split at
    "and" / "&" as a list of people is."""
    if doc.is_site_name(name):
        return []
    cleaned = clean_name(name, doc) if len(name.split()) <= 6 else None
    return [cleaned] if cleaned else []


def _from_ld(doc: Document) -> list[str]:
    values = _ld_values(doc.ld("author"), doc) or _ld_values(doc.ld("creator"), doc)
    names = []
    for text, kind in values:
        if kind == "organization":
            names.extend(_organization(text, doc))
        else:
            names.extend(split_names(text, doc))
    return names


def _full(names: list[str]) -> list[str]:
    """Outside JSON-LD a one-word "name" is mostly a user name ("admin", "eddie"); keep
    only agency codes such as AP or AFP."""
    return [n for n in names if len(n.split()) >= 2 or (n.isupper() and len(n) <= 5)]


def _from_meta(doc: Document) -> tuple[list[str], str | None]:
    for key in META_KEYS:
        values = doc.meta.get(key, ())
        names = _full([name for value in values for name in split_names(_person_name(value), doc)])
        if names:
            return names, "meta" if not key.startswith(("article:", "og:")) else "opengraph"
    return [], None


_BYLINE_HINT = re.compile(r"byline|by-line|author|writer|reporter|contributor|credit", re.I)
_NOT_BYLINE = re.compile(r"bio|avatar|image|photo|img|social|follow|more|list|box|desc|about", re.I)


def _byline_elements(doc: Document) -> list[lxml.html.HtmlElement]:
    found = []
    for element in doc.tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("meta", "script", "style", "link"):
            continue
        hint = " ".join(element.get(a) or "" for a in ("class", "id", "rel", "data-testid"))
        if not hint or not _BYLINE_HINT.search(hint) or _NOT_BYLINE.search(hint):
            continue
        found.append(element)
        if len(found) >= 40:
            break
    return found


_BY_LINE = (
    "starts-with(normalize-space(), 'By ') or starts-with(normalize-space(), 'BY ') "
    "or starts-with(normalize-space(), 'by ') or normalize-space() = 'By'"
)
MAX_BYLINE = 200


def _from_byline(doc: Document) -> list[str]:
    """Names in the visible byline nearest after the headline: an element marked as a
    byline or author, else a short line of text starting with "By"."""
    start = doc.headline_position()
    elements = _byline_elements(doc)
    after = [el for el in elements if doc.order.get(el, 0) > start]
    for element in after + [el for el in elements if el not in after]:
        text = element.text_content()
        if len(fold(text)) > MAX_BYLINE:
            continue
        names = _full(split_names(text, doc))
        if names:
            return names
    lines = doc.text_lines(_BY_LINE, limit=10)
    lines.sort(key=lambda item: (item[0] < start, item[0]))
    for _, line in lines:
        if len(line) > MAX_BYLINE:
            continue
        # Visible text: a name is capitalised ("By the time..." is a sentence).
        names = [n for n in _full(split_names(line, doc)) if n[:1].isupper()]
        if names:
            return names
    return []


def authors(doc: Document) -> tuple[list[str], str | None]:
    """``(names, source)``: the first layer that names someone."""
    names = _from_ld(doc)
    if names:
        return dedupe(names), "jsonld"
    names = _full(
        [n for value in doc.microdata.authors for n in split_names(_person_name(value), doc)]
    )
    if names:
        return dedupe(names), "microdata"
    names, source = _from_meta(doc)
    if names:
        return dedupe(names), source
    names = _from_byline(doc)
    if names:
        return dedupe(names), "byline"
    evidence = doc.evidence.get("author")
    if evidence:
        values = evidence if isinstance(evidence, list) else [evidence]
        names = _full([n for value in values for n in split_names(_person_name(value), doc)])
        if names:
            return dedupe(names), doc.evidence_source
    return [], None
