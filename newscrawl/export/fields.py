"""The four files of a release, their fields, and the SQL that reads them.

Each field has a Table Schema type and a one-line description; the same list drives the
SQL select, the value encoding of every format, the Parquet schema and the Table Schema
in datapackage.json, so the four cannot drift apart.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    """Table Schema type: string, integer, number, boolean, array (of strings), object."""
    description: str
    sql: str = ""
    """SQL expression for the value (defaults to the column of the same name)."""
    required: bool = False
    text: bool = False
    """Article text (left out of a ``--no-body`` release)."""
    added_by: str = ""
    """The migration that added the column after the first schema. An archive made before
    it, and not opened for writing since, lacks the column: the export reads it read-only
    (it cannot migrate it), so the field is exported empty there."""

    @property
    def expression(self) -> str:
        return self.sql or self.name


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    """(field, other resource, other field)."""
    source: str = ""
    """FROM ... WHERE ... clause selecting the rows of this release."""
    order_by: str = ""
    """ORDER BY expressions: releases are deterministic, row for row."""

    def fields_for(self, *, include_body: bool) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if include_body or not f.text)

    def select(self, *, include_body: bool, absent: frozenset[str] = frozenset()) -> str:
        """The rows of this file; ``absent``: fields whose column the archive lacks."""
        columns = ", ".join(
            f"{'null' if f.name in absent else f.expression} as [{f.name}]"
            for f in self.fields_for(include_body=include_body)
        )
        return f"select {columns} {self.source} order by {self.order_by}"

    def absent_fields(self, conn: sqlite3.Connection) -> frozenset[str]:
        """Fields added by a later migration whose column this archive does not have yet
        (each such field is named like its column in the table of the same name)."""
        later = [f.name for f in self.fields if f.added_by]
        if not later:
            return frozenset()
        columns = {row[1] for row in conn.execute(f"pragma table_info([{self.name}])")}
        return frozenset(name for name in later if name not in columns)

    def count(self) -> str:
        return f"select count(*) {self.source}"


ARTICLES = Table(
    name="articles",
    description="One row per archived article selected for this release.",
    primary_key=("id",),
    foreign_keys=(("source_id", "sources", "id"),),
    source="from articles where id in (select id from temp.selected)",
    order_by="id",
    fields=(
        Field("id", "integer", "Archive key of the article.", required=True),
        Field(
            "canonical_url",
            "string",
            "The article's canonical URL (rel=canonical when given); the dedupe key.",
            required=True,
        ),
        Field("url", "string", "The URL the article was last fetched from.", required=True),
        Field("source_id", "string", "The publisher (sources.id).", required=True),
        Field("title", "string", "Headline, without a site-name suffix."),
        Field("description", "string", "Standfirst or meta description, as scraped.", text=True),
        Field("authors", "array", "Names of the people credited, in page order."),
        Field(
            "published_at",
            "string",
            "First publication time, ISO 8601, with the UTC offset when the page gives one.",
        ),
        Field("modified_at", "string", "Last modification time when the page gives one, ISO 8601."),
        Field("published_month", "string", "YYYY-MM of published_at."),
        Field("section", "string", "Section or category the publisher files the article under."),
        Field("tags", "array", "Keywords or tags the publisher gives the article."),
        Field("language", "string", "Language of the article, BCP 47."),
        Field("image_url", "string", "URL of the lead image, as scraped."),
        Field(
            "body",
            "string",
            "Plain text of the article, paragraphs separated by a blank line.",
            text=True,
        ),
        Field("word_count", "integer", "Number of words in the body."),
        Field(
            "is_paywalled",
            "boolean",
            "True when the page says the article is not free to read; empty when it does not say.",
            sql="case is_paywalled when 1 then 1 when 0 then 0 end",
        ),
        Field(
            "is_gallery",
            "boolean",
            "True when the page is a photo gallery, its body the slides' captions; empty for "
            "articles stored before the field existed.",
            sql="case is_gallery when 1 then 1 when 0 then 0 end",
        ),
        Field("content_hash", "string", "sha256 of the normalised title and body."),
        Field(
            "artists",
            "array",
            "Canonical names of the watched artists the article mentions, most salient first.",
        ),
        Field(
            "provenance",
            "object",
            "Field name to where its value came from (jsonld, opengraph, ...).",
        ),
        Field(
            "discovery", "object", "How the URL was found (channel, via, what the channel said)."
        ),
        Field("first_seen_at", "string", "When the article was first archived, ISO 8601 UTC."),
        Field("fetched_at", "string", "When the article was last fetched, ISO 8601 UTC."),
        Field("changed_at", "string", "When the archived content last changed, ISO 8601 UTC."),
        Field("revision_count", "integer", "Number of earlier versions kept in the archive."),
        Field(
            "extractor_version",
            "string",
            "Version of the newscrawl extractor that produced the fields.",
        ),
    ),
)

MENTIONS = Table(
    name="mentions",
    description="Which watched artists each selected article mentions, and how much it is about them.",
    primary_key=("article_id", "artist_id"),
    foreign_keys=(("article_id", "articles", "id"), ("artist_id", "artists", "id")),
    source=(
        "from mentions left join artists on artists.id = mentions.artist_id"
        " where mentions.article_id in (select id from temp.selected)"
    ),
    order_by="mentions.article_id, mentions.artist_id",
    fields=(
        Field(
            "article_id",
            "integer",
            "The article (articles.id).",
            sql="mentions.article_id",
            required=True,
        ),
        Field(
            "artist_id",
            "string",
            "The artist (artists.id, a slug).",
            sql="mentions.artist_id",
            required=True,
        ),
        Field("artist", "string", "Canonical name of the artist.", sql="artists.name"),
        Field(
            "count",
            "integer",
            "Number of counted mentions in title, description and body.",
            sql="mentions.count",
        ),
        Field(
            "in_title",
            "boolean",
            "True when the title mentions the artist.",
            sql="mentions.in_title",
        ),
        Field(
            "first_offset",
            "integer",
            "Character offset of the first mention in the body; empty when only in title or description.",
            sql="mentions.first_offset",
        ),
        Field(
            "snippets",
            "array",
            "Up to three short contexts around mentions.",
            sql="mentions.snippets",
        ),
        Field(
            "salience",
            "number",
            "0 to 1: how much the article is about the artist, not a passing mention.",
            sql="mentions.salience",
        ),
        Field(
            "spans",
            "object",
            "Field (title, description, body) to the [start, end] character offsets of each"
            " counted mention in the article's text; empty when the archive did not keep them.",
            sql="mentions.spans",
            added_by="m012_mention_spans",
        ),
    ),
)

ARTISTS = Table(
    name="artists",
    description="The watched artists mentioned in (or asked for by) this release.",
    primary_key=("id",),
    source="from artists where id in (select id from temp.selected_artists)",
    order_by="id",
    fields=(
        Field("id", "string", "Slug of the artist.", required=True),
        Field("name", "string", "Canonical name.", required=True),
        Field("aliases", "array", "Other names matched anywhere."),
        Field("wikidata", "string", "Wikidata item id, when the watchlist gives one."),
    ),
)

SOURCES = Table(
    name="sources",
    description="The publishers of the selected articles (or asked for by this release).",
    primary_key=("id",),
    source="from sources where id in (select id from temp.selected_sources)",
    order_by="id",
    fields=(
        Field("id", "string", "Slug of the publisher.", required=True),
        Field("name", "string", "Display name of the publisher."),
        Field("homepage", "string", "Home page URL of the publisher."),
        Field("allowed_domains", "array", "Domains the crawler may fetch for this publisher."),
    ),
)

TABLES = (ARTICLES, MENTIONS, ARTISTS, SOURCES)
