"""The table pages' rows, rendered by ``newscrawl_rows`` (archive/plugins/
newscrawl_table_rows.py) instead of Datasette's per-cell Jinja loop, are the rows
Datasette's own ``_table.html`` renders: same cells, same classes, same escaping."""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
from pathlib import Path

import lxml.html
import pytest
from archive_fixtures import SyncClient, build_archive
from markupsafe import Markup

from newscrawl.serve import ARCHIVE_DIR, build_datasette


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    db = build_archive(tmp_path_factory.mktemp("rows") / "archive.db")
    # Text that must be escaped, and text that looks like markup, in a visible column.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "update articles set description = ? where id = (select min(id) from articles)",
            ['<script>alert("x")</script> & <b>bold</b> \u00a0 "quoted"'],
        )
    return db


@pytest.fixture(scope="module")
def clients(archive_db, tmp_path_factory):
    """Ours, and Datasette's stock ``_table.html`` with everything else the same."""
    stock_dir = tmp_path_factory.mktemp("stock") / "archive"
    shutil.copytree(ARCHIVE_DIR, stock_dir)
    (stock_dir / "templates" / "_table.html").unlink()
    ours = SyncClient(build_datasette(archive_db))
    stock = SyncClient(build_datasette(archive_db, config_dir=stock_dir))
    yield ours, stock
    ours.close()
    stock.close()


def body_rows(html: str) -> list[list[tuple[str, str]]]:
    """Each row of the rows-and-columns table as (td class, td inner HTML) pairs."""
    tree = lxml.html.fromstring(html)
    rows = []
    for tr in tree.cssselect("table.rows-and-columns tbody tr"):
        cells = []
        for td in tr.findall("td"):
            inner = (td.text or "") + "".join(
                lxml.html.tostring(child, encoding="unicode") for child in td
            )
            cells.append((td.get("class"), inner))
        rows.append(cells)
    return rows


def pages(archive_db: Path) -> list[str]:
    with sqlite3.connect(archive_db) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "select name from sqlite_master where type in ('table', 'view')"
                " and name not like 'sqlite_%' and name not like 'articles_fts%'"
            )
        ]
        article_id = conn.execute("select min(id) from articles").fetchone()[0]
    return [f"/archive/{name}?_size=max" for name in names] + [
        "/archive/articles?_search=spears",
        "/archive/articles?_sort=title",
        f"/archive/articles/{article_id}",
    ]


def test_every_table_page_has_datasettes_own_rows(clients, archive_db):
    ours, stock = clients
    compared = 0
    for path in pages(archive_db):
        mine, theirs = ours.get(path), stock.get(path)
        assert mine.status_code == theirs.status_code == 200, path
        expected = body_rows(theirs.text)
        assert body_rows(mine.text) == expected, path
        compared += sum(len(row) for row in expected)
    assert compared > 500  # the fixture's tables are not empty


def test_markup_is_escaped_as_the_template_would(clients):
    ours, _ = clients
    html = ours.get("/archive/articles?_sort=id").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_the_rows_are_rendered_by_the_plugin(clients):
    # Datasette's loop indents each cell; newscrawl_rows writes them back to back.
    ours, stock = clients
    assert "<tr><td class=" in ours.get("/archive/articles").text
    assert "<tr><td class=" not in stock.get("/archive/articles").text


def test_newscrawl_rows_escapes_text_and_keeps_markup():
    spec = importlib.util.spec_from_file_location(
        "newscrawl_table_rows", ARCHIVE_DIR / "plugins" / "newscrawl_table_rows.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    newscrawl_rows = module.newscrawl_rows
    rows = [
        [
            {"column": "title", "value": "a < b & c", "value_type": "text"},
            {"column": "weird name!", "value": Markup("<a href='x'>x</a>"), "value_type": "pk"},
            {"column": "n", "value": 3, "value_type": "integer"},
        ]
    ]
    html = str(newscrawl_rows(rows))
    assert html.startswith('<tr><td class="col-title type-text">a &lt; b &amp; c</td>')
    assert "<a href='x'>x</a></td>" in html
    assert '<td class="col-n type-integer">3</td></tr>' in html
    assert 'class="col-weird-name-' in html  # to_css_class: stripped and hashed
