"""``newscrawl extract``: files and manifests in, JSON Lines out."""

from __future__ import annotations

import json

from click.testing import CliRunner

from newscrawl.cli import main

ARTICLE = (
    "<html><head><title>Star Announces Tour | The Daily Gossip</title>"
    '<meta property="og:site_name" content="The Daily Gossip">'
    '<meta property="article:published_time" content="2024-05-02T10:00:00Z">'
    '<meta name="author" content="Jane Doe"></head><body><article>'
    "<h1>Star Announces Tour</h1>"
    "<p>The singer announced a world tour on Monday, with dates across Europe and North "
    "America, and fans rushed to buy tickets within minutes.</p>"
    "<p>The tour opens in Lisbon in September and closes in Los Angeles in December, "
    "according to a statement from her label.</p></article></body></html>"
)


def run(*args: str) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(main, ["extract", *args])
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, rows, result.stderr


def test_file_with_url(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(ARTICLE, encoding="utf-8")
    code, rows, _ = run("--url", "https://gossip.example/2024/star", str(page))
    assert code == 0
    [row] = rows
    assert row["path"] == str(page)
    assert row["url"] == "https://gossip.example/2024/star"
    assert row["title"] == "Star Announces Tour"
    assert row["authors"] == ["Jane Doe"]
    assert row["published_at"] == "2024-05-02T10:00:00+00:00"
    assert "Lisbon" in row["body"]


def test_output_rows_carry_every_article_field(tmp_path):
    """DESIGN's article fields, source_id included (null: a file belongs to no publisher)."""
    page = tmp_path / "page.html"
    page.write_text(ARTICLE, encoding="utf-8")
    _, [row], _ = run("--url", "https://gossip.example/2024/star", str(page))
    article_fields = [
        "url",
        "canonical_url",
        "source_id",
        "title",
        "description",
        "authors",
        "published_at",
        "modified_at",
        "section",
        "tags",
        "language",
        "image_url",
        "body",
        "word_count",
        "is_paywalled",
        "is_gallery",
        "content_hash",
        "provenance",
    ]
    assert list(row) == ["path", *article_fields]
    assert row["source_id"] is None


def test_default_url_is_the_file_uri(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(ARTICLE, encoding="utf-8")
    _, [row], _ = run(str(page))
    assert row["url"] == page.resolve().as_uri()


def test_manifest_rows_in_order_with_errors(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.html").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "pages" / "b.pdf").write_bytes(b"%PDF-1.4 not a page")
    absolute = tmp_path / "c.html"
    absolute.write_text(ARTICLE.replace("Star Announces Tour", "Second Story"), encoding="utf-8")
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps(row)
            for row in (
                {"path": "pages/a.html", "url": "https://gossip.example/a"},
                {"path": "pages/b.pdf", "url": "https://gossip.example/b"},
                {
                    "path": str(absolute),
                    "url": "https://gossip.example/c",
                    "evidence": {"channel": "rss", "author": "Someone Else"},
                },
            )
        )
        + "\n",
        encoding="utf-8",
    )
    code, rows, _ = run("--manifest", str(manifest))
    assert code == 0
    assert [r["path"] for r in rows] == ["pages/a.html", "pages/b.pdf", str(absolute)]
    assert rows[0]["title"] == "Star Announces Tour"
    assert rows[1] == {
        "path": "pages/b.pdf",
        "url": "https://gossip.example/b",
        "error": "PDF document",
        "reason": "not_html",
    }
    assert rows[2]["title"] == "Second Story"
    code, parallel, _ = run("--manifest", str(manifest), "--jobs", "2")
    assert code == 0 and parallel == rows


def test_missing_file_is_a_one_line_error(tmp_path):
    code, rows, err = run(str(tmp_path / "nope.html"))
    assert code == 1 and rows == []
    assert err.strip() == f"Error: {tmp_path / 'nope.html'}: no such file"
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"path": "gone.html"}\n', encoding="utf-8")
    code, _, err = run("--manifest", str(manifest))
    assert code == 1
    assert err.strip() == f"Error: {manifest}:1: gone.html: no such file"
    assert "Traceback" not in err


def test_bad_manifest_line_names_file_and_line(tmp_path):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('\n{"path": 3}\n', encoding="utf-8")
    code, _, err = run("--manifest", str(manifest))
    assert code == 1
    assert f"{manifest}:2:" in err


def test_help_has_an_example():
    result = CliRunner().invoke(main, ["extract", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "--manifest" in result.output
