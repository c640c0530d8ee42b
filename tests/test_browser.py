"""A real browser against a real ``newscrawl serve``: search, read, stay safe, see charts.

Headless Debian chromium driven by Playwright (no browser download). Screenshots go to
test-artifacts/ (ignored by git) for a human to look at after a CI run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from archive_fixtures import (
    HOSTILE_ID,
    SEED_TITLE,
    build_archive,
    config_with_defer_above,
    running_server,
)
from test_demo_command import demo, free_port_block

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Named demo.db, served from outside archive/: the metadata must follow the name.
    db = build_archive(tmp_path_factory.mktemp("browser") / "demo.db")
    with running_server(db) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium "
            "(apt-get install chromium); they never download a browser"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []
    page.csp_violations = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_the_xss_probe_can_see_a_script_run(page):
    # The control for the tests below: on a page without our escaping, the payload runs.
    page.set_content("<p>control</p><script>window.__xss = 1</script>")
    assert page.evaluate("window.__xss") == 1


def test_search_then_read_the_article_with_artists_highlighted(server, page):
    page.goto(f"{server}/demo/articles")
    page.fill("input[name=_search]", "duet")
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=duet**")
    page.get_by_role("link", name=SEED_TITLE).first.click()
    page.wait_for_url("**/-/article/demo/**")
    assert page.locator("h1").inner_text() == SEED_TITLE
    britney = page.locator(".body mark[data-artist=britney-spears]")
    gaga = page.locator(".body mark[data-artist=lady-gaga]")
    assert britney.count() >= 2 and gaga.count() >= 3
    assert britney.first.is_visible() and gaga.first.is_visible()
    colours = {
        britney.first.evaluate("m => getComputedStyle(m).backgroundColor"),
        gaga.first.evaluate("m => getComputedStyle(m).backgroundColor"),
    }
    assert len(colours) == 2, "each artist gets its own highlight colour"
    original = page.locator("a.original")
    assert original.get_attribute("href").startswith("https://www.inquisitr.com/")
    screenshot(page, "article.png")
    assert page.csp_violations == []


def test_hostile_article_stays_inert(server, page):
    for path in (
        f"/-/article/demo/{HOSTILE_ID}",
        f"/demo/articles/{HOSTILE_ID}",
        "/demo/articles?_search=tour",
        "/demo/search_articles?q=tour",
        "/demo/drops",
    ):
        page.goto(f"{server}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__xss") == "undefined", path
        assert page.dialogs == [], path
        assert page.locator("img[onerror]").count() == 0, path
        assert page.locator("a[href^='javascript' i]").count() == 0, path
    page.goto(f"{server}/-/article/demo/{HOSTILE_ID}")
    assert "<script>" in page.locator("h1").inner_text()  # shown as text
    assert page.locator(".not-a-link").first.inner_text().startswith("javascript:")
    screenshot(page, "hostile-article.png")
    assert page.csp_violations == []


def test_coverage_charts_render_offline(server, page):
    page.goto(f"{server}/-/charts/demo")
    coverage = page.locator("svg[data-chart=coverage]")
    box = coverage.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    cells = page.locator("svg[data-chart=coverage] rect.cell")  # four artists: a heatmap
    assert cells.count() == 4 * 6
    assert cells.first.bounding_box()["width"] > 10
    segments = page.locator("svg[data-chart=publishers] rect.segment")
    assert segments.count() >= 6
    screenshot(page, "charts.png")
    page.fill("input[name=artist]", "Britney")
    page.press("input[name=artist]", "Enter")
    page.wait_for_url("**artist=Britney**")
    line = page.locator("svg[data-chart=coverage] path.series")  # one artist: a line
    assert line.count() == 1 and line.bounding_box()["width"] > 300
    # A second artist, from the empty box the form adds: two lines to compare.
    boxes = page.locator("input[name=artist]")
    assert [boxes.nth(i).input_value() for i in range(boxes.count())] == ["Britney", ""]
    boxes.last.fill("Lady Gaga")
    boxes.last.press("Enter")
    page.wait_for_url("**artist=Britney&artist=Lady+Gaga**")
    assert page.locator("svg[data-chart=coverage] path.series").count() == 2
    assert page.locator("svg[data-chart=publishers] text", has_text="Lady Gaga").count() >= 1
    boxes = page.locator("input[name=artist]")
    assert [boxes.nth(i).input_value() for i in range(boxes.count())] == [
        "Britney",
        "Lady Gaga",
        "",
    ]
    assert page.csp_violations == []


def test_datasette_own_pages_still_work_under_the_policy(server, page):
    page.goto(f"{server}/demo/articles")
    # table.js (column actions) is Datasette's own script: it must still run.
    page.wait_for_function("typeof window.DATASETTE_ALLOW_FACET !== 'undefined'")
    page.goto(f"{server}/demo?sql=select+count(*)+from+articles")
    assert page.locator(".CodeMirror").count() == 1  # the SQL editor loaded
    assert page.csp_violations == []


def test_the_search_box_is_on_the_first_screen(server, page):
    # Datasette lists every column's description above the table (29 for articles): the
    # search box and the rows were a whole screen down. archive/templates/table.html
    # keeps the descriptions in a short box that scrolls.
    page.goto(f"{server}/demo/articles?_search=duet")
    height = page.viewport_size["height"]
    search = page.locator("input#_search").bounding_box()
    assert search["y"] + search["height"] < height * 0.6
    descriptions = page.locator("dl.column-descriptions")
    box = descriptions.bounding_box()
    assert box["height"] < height / 4
    # Every description is still on the page, reachable by scrolling the box.
    columns = page.locator("dl.column-descriptions dt").all_inner_texts()
    assert [c.strip() for c in columns][:4] == ["id", "canonical_url", "url", "source_id"]
    assert len(columns) == len(page.locator("table.rows-and-columns thead th").all())
    assert descriptions.evaluate("d => d.scrollHeight > d.clientHeight")
    descriptions.locator("dt").last.scroll_into_view_if_needed()
    assert descriptions.locator("dt").last.is_visible()
    screenshot(page, "search.png")
    assert page.csp_violations == []


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    # The archive `make demo` crawls: real pages' long URLs, hashes and bodies, which
    # the test archive's short values do not have.
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    crawled = demo("--no-serve", "--db", str(db), "--sites-port", str(free_port_block()))
    assert crawled.returncode == 0, crawled.stderr
    with running_server(db) as base:
        yield base


def test_the_articles_table_lists_its_rows_a_few_lines_tall(demo_server, page):
    # Datasette's automatic table layout squeezed body (300 characters shown in a cell)
    # into ~120 px of the 32 columns at 1,280 px: each row of a search was 650-730 px
    # tall, one article a screen.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{demo_server}/demo/articles?_search=duet")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() >= 2
    heights = rows.evaluate_all("rows => rows.map(row => row.getBoundingClientRect().height)")
    assert max(heights) < 300, heights
    bodies = page.locator("table.rows-and-columns tbody tr td.col-body").all_inner_texts()
    assert min(map(len, bodies)) > 250  # the long text is there, not cut shorter
    assert page.csp_violations == []


# -- facet counts fetched after the rows (archive/plugins/newscrawl_facets.py) ------------


@pytest.fixture(scope="module")
def deferring_server(tmp_path_factory):
    """A server that leaves every counted facet to the page's script (defer_above_rows 0)."""
    tmp = tmp_path_factory.mktemp("deferring")
    db = build_archive(tmp / "demo.db")
    with running_server(db, config_dir=config_with_defer_above(tmp, 0)) as base:
        yield base


def facet_values(page, column: str) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(f"#facet-{column} li").all_inner_texts()]


def test_facet_counts_arrive_after_the_rows(deferring_server, page):
    asked = []
    page.on("request", lambda request: asked.append(request.headers.get("x-newscrawl-facets")))
    page.goto(f"{deferring_server}/demo/articles?_search=duet")
    page.locator("div.facet-results .facet-info").first.wait_for()
    assert page.locator("div.facet-results .facet-info").count() == 3
    assert page.locator("#newscrawl-deferred-facets").count() == 0  # the note is gone
    assert page.locator(".newscrawl-facet-to-come").count() == 0  # and its menu markers
    assert asked.count("inline") == 1
    # A screen reader hears it from a status line that stays (the note was replaced).
    status = page.get_by_role("status")
    assert status.inner_text() == "Facet counts shown."
    assert status.bounding_box()["width"] <= 1  # read out, not shown
    # The counts shown are the ones JSON gives for the same selection.
    data = page.request.get(f"{deferring_server}/demo/articles.json?_search=duet").json()
    for column in ("source_id", "artists", "published_month"):
        expected = [
            f"{value['label'] or '-'} {value['count']:,}"
            for value in data["facet_results"][column]["results"]
        ]
        assert facet_values(page, column) == expected, column
    screenshot(page, "deferred-facets.png")
    # A link of the block the script put in place selects, and that page's counts come too.
    page.locator("#facet-artists li a").first.click()
    page.wait_for_url("**_artist=**")
    page.locator("div.facet-results .facet-info").first.wait_for()
    assert page.locator("div.facet-results .facet-info").count() == 3
    assert "\u2716" in page.locator("#facet-artists").inner_text()  # shown as selected
    assert page.csp_violations == []


def facet_names(page) -> list[str]:
    return page.locator("div.facet-results .facet-info").evaluate_all(
        "facets => facets.map(facet => facet.dataset.column)"
    )


def test_facets_the_page_counted_itself_and_the_fetched_ones_make_one_block(deferring_server, page):
    # The whole table: publisher and artist come from the precomputed tables, in the
    # page; the month facet of first_seen_at too is counted row by row, after it.
    path = f"{deferring_server}/demo/articles?_facet_month=first_seen_at"
    page.goto(f"{path}&_nodefer=1")
    counted_in_the_page = facet_names(page)
    assert len(counted_in_the_page) == 4
    assert 'id="newscrawl-deferred-facets"' in page.request.get(path).text()
    page.goto(path)
    page.locator("#newscrawl-deferred-facets").wait_for(state="detached")
    assert page.locator("div.facet-results").count() == 1
    assert facet_names(page) == counted_in_the_page
    assert page.csp_violations == []


def test_when_the_counts_do_not_load_the_page_says_so_and_links_to_them(deferring_server, page):
    def lose_the_counts(route):
        if route.request.headers.get("x-newscrawl-facets"):
            route.abort()
        else:
            route.continue_()

    page.route("**/demo/articles?*", lose_the_counts)
    page.goto(f"{deferring_server}/demo/articles?_search=duet")
    page.locator("#newscrawl-deferred-facets").get_by_text(
        "The facet counts did not load"
    ).wait_for()
    assert page.locator("div.facet-results .facet-info").count() == 0
    # Nothing is counting any more: the note says so instead of "Counting ...".
    note = " ".join(page.locator("#newscrawl-deferred-facets").inner_text().split())
    assert note.startswith("The facet counts did not load ("), note
    assert "Counting" not in note
    assert page.get_by_role("status").inner_text().startswith("The facet counts did not load (")
    # Datasette's column menu does not offer a second facet on a column one is coming for.
    # table.js shows or hides "Facet by this" as the menu opens (the menu may close again
    # at once: scrolling a column into view closes it), so each check follows one that
    # must have flipped the item.
    item = page.locator("body > .dropdown-menu a.dropdown-facet")  # the column menu
    for column, offered in (
        ("title", True),
        ("source_id", False),
        ("title", True),
        ("published_month", False),
    ):
        page.locator(f'th[data-column="{column}"] .dropdown-menu-icon').click()
        shown = item.evaluate("a => a.parentNode.style.display") == "block"
        assert shown is offered, column
        if offered:
            assert f"_facet={column}" in item.get_attribute("href")
        page.locator("h1").click()  # a click outside closes the menu
    page.get_by_role("link", name="count them in the page").click()
    page.wait_for_url("**_nodefer=1**")
    assert page.locator("div.facet-results .facet-info").count() == 3
    assert page.locator("#newscrawl-deferred-facets").count() == 0
    assert page.csp_violations == []


def test_without_a_script_the_note_says_the_counts_are_not_there_and_links_to_them(
    deferring_server, browser
):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{deferring_server}/demo/articles?_search=duet")
        note = " ".join(page.locator("#newscrawl-deferred-facets").inner_text().split())
        # "Counting ..." would wait for a script that never runs.
        assert "Counting" not in note
        assert note.startswith("The facet counts (artists, published_month, source_id over ")
        page.get_by_role("link", name="count them in the page").click()
        page.wait_for_url("**_nodefer=1**")
        assert page.locator("div.facet-results .facet-info").count() == 3
    finally:
        context.close()


def facet_by_this_offered(page, columns) -> dict[str, bool]:
    """Whether the column menu of each of ``columns`` offers "Facet by this". table.js
    shows or hides the item as the menu opens; each menu is closed again after."""
    item = page.locator("body > .dropdown-menu a.dropdown-facet")
    offered = {}
    for column in columns:
        page.locator(f'th[data-column="{column}"] .dropdown-menu-icon').click()
        offered[column] = item.evaluate("a => a.parentNode.style.display") == "block"
        page.locator("h1").click()  # a click outside closes the menu
    return offered


@pytest.mark.parametrize("query", ["", "?_nofacet=1", "?_facet=source_id&_search=duet"])
def test_the_column_menu_does_not_facet_a_default_facets_column_again(server, page, query):
    # The articles table's publisher, artist and month facets are its default ones: on a
    # page without their blocks (?_nofacet=1, or one that timed out) the menu offered
    # "Facet by this", which only asked for the default facet again. "title" alternates
    # with them, so that each answer follows one that must have flipped the item. (The
    # artists column is not sortable: Datasette gives it no menu.)
    page.goto(f"{server}/demo/articles{query}")
    columns = ["title", "source_id", "title", "published_month", "title"]
    offered = facet_by_this_offered(page, columns)
    assert offered == {"title": True, "source_id": False, "published_month": False}
    assert page.locator('th[data-column="artists"] .dropdown-menu-icon').count() == 0
    assert page.csp_violations == []
