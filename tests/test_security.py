"""Nobody gets in: the served archive, the export filters, the config files.

Datasette runs as a real ``newscrawl serve`` process over an archive holding a hostile
article (script tags, ``onerror=`` images and ``javascript:`` links in its scraped
fields), and is checked over HTTP: it listens on 127.0.0.1 only, refuses every kind of
write, cuts a slow query off, offers no download or login, and sends the hostile
markup escaped under a Content-Security-Policy. ``newscrawl export`` binds every filter
as a parameter and checks its output path; sources.yml and artists.yml are plain YAML
only. (The honest User-Agent is checked where a server records it: test_hostile.py.)
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from urllib.parse import urlencode

import psutil
import pytest
from archive_fixtures import HOSTILE_ID, XSS_IMG, XSS_SCRIPT, build_archive
from click.testing import CliRunner
from hostile_server import ROOT, crawl_command, serving

from newscrawl.artists import load_watchlist
from newscrawl.cli import main
from newscrawl.errors import ConfigError
from newscrawl.serve import load_settings
from newscrawl.sources import load_sources

SQL_TIME_LIMIT_S = 3.0


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("secure") / "archive.db")


@pytest.fixture(scope="module")
def server(archive, tmp_path_factory):
    before = sha256(archive)
    with serving(archive, log=tmp_path_factory.mktemp("serve") / "serve.log") as served:
        yield served
    assert sha256(archive) == before, "the served archive changed"


# -- the server --------------------------------------------------------------------------


def test_listens_on_localhost_only(server):
    listening = {
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process(server.process.pid).net_connections("inet")
        if c.status == psutil.CONN_LISTEN
    }
    assert listening and {ip for ip, _ in listening} == {"127.0.0.1"}


@pytest.mark.parametrize(
    "sql",
    [
        "delete from articles",
        "insert into artists (id, name) values ('x', 'x')",
        "update articles set title = 'x'",
        "drop table articles",
        "create table t (x)",
        "attach database 'elsewhere.db' as elsewhere",
        "pragma journal_mode = delete",
        "pragma writable_schema = 1",
        "vacuum into 'copy.db'",
        "with doomed as (select id from articles) delete from articles",
        "select 1; delete from articles",
        "select load_extension('/tmp/evil.so')",
        "select writefile('pwned.txt', 'x')",
    ],
)
def test_sql_that_would_write_is_refused(server, sql):
    answer = server.get("/archive.json?" + urlencode({"sql": sql}))
    assert answer.status == 400, answer.text[:300]
    assert json.loads(answer.text)["ok"] is False


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/archive/articles", "/archive/search_articles", "/archive"])
def test_methods_that_would_write_are_refused(server, method, path):
    answer = server.get(path, method=method, data=b"title=x&id=1")
    assert answer.status == 405
    assert answer.headers["allow"] == "GET, HEAD, OPTIONS"
    assert "content-security-policy" in answer.headers


def test_no_write_canned_queries_no_download_no_login(server):
    queries = server.get("/archive.json").text
    assert '"write": true' not in queries
    assert server.get("/archive.db").status == 403
    assert json.loads(server.get("/-/actor.json").text) == {"actor": None}
    assert server.get("/-/permissions").status == 403
    settings = json.loads(server.get("/-/settings.json").text)
    # Deliberate choices: researchers may write SQL (on a read-only connection, cut off
    # after 3 s); the database file itself is not offered for download.
    assert settings["allow_download"] is False
    assert settings["default_allow_sql"] is True
    assert settings["sql_time_limit_ms"] == SQL_TIME_LIMIT_S * 1000
    assert settings["max_returned_rows"] == 1000
    assert load_settings()["allow_download"] is False


def test_a_slow_query_is_cut_off(server):
    runaway = (
        "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"
    )
    started = time.monotonic()
    answer = server.get("/archive.json?" + urlencode({"sql": runaway}))
    took = time.monotonic() - started
    assert answer.status == 400
    assert "SQL query took too long" in answer.text
    assert SQL_TIME_LIMIT_S <= took < SQL_TIME_LIMIT_S + 10
    assert server.get("/archive.json?sql=select+1").status == 200  # still serving
    print(f"runaway query cut off after {took:.1f} s")


@pytest.mark.parametrize(
    "path",
    [
        "/archive/articles",
        f"/archive/articles/{HOSTILE_ID}",
        f"/-/article/archive/{HOSTILE_ID}",
        "/archive/articles?_search=Taylor",
        "/archive/search_articles?q=Taylor",
        "/archive.json?sql=select+title+from+articles",
    ],
)
def test_scraped_markup_is_inert(server, path):
    answer = server.get(path)
    assert answer.status == 200
    policy = answer.headers["content-security-policy"]
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    if ".json" in path:  # data, never rendered: the payload is there, as JSON
        assert answer.headers["content-type"].startswith("application/json")
        assert XSS_SCRIPT in json.dumps(json.loads(answer.text)["rows"])
    else:
        assert XSS_SCRIPT not in answer.text and XSS_IMG not in answer.text
        assert "&lt;script&gt;window.__xss" in answer.text
    if path.startswith("/-/article/"):
        # The page that shows scraped text runs no script but Datasette's own snippet.
        script_src = re.search(r"script-src ([^;]*)", policy).group(1)
        assert "'unsafe-inline'" not in script_src and "'self'" not in script_src


def test_no_server_errors_logged(server):
    # Mistyped URLs: with rich installed (the export extra), Datasette 0.65's own error
    # handler failed on some 404s and answered 500 (archive/plugins/newscrawl_errors.py).
    for path in ("/a/b/c/d", "/archive/articles/1/extra", "/-/charts/archive/x.svg"):
        assert server.get(path).status == 404, path
    # A refused query of this test's own (the module's other tests refuse more, but this
    # one must not depend on running after them on the same worker).
    refused_sql = "select * from no_such_table_here"
    assert server.get("/archive.json?" + urlencode({"sql": refused_sql})).status == 400
    # Each refused query (answered 400) is one warning line
    # (archive/plugins/newscrawl_errors.py), not Datasette's "ERROR: conn=..., sql = ..."
    # with the whole SQL; a server error would have logged a traceback, and uvicorn an
    # "ERROR: Exception in ASGI application".
    output = server.output
    lines = output.splitlines()
    refused = [line for line in lines if " WARNING newscrawl.datasette: query failed on " in line]
    assert any("no_such_table_here" in line for line in refused), output[-3000:]
    other = [line for line in lines if "ERROR" in line]
    assert refused and other == [] and "Traceback" not in output, output[-3000:]


# -- export ------------------------------------------------------------------------------

INJECTIONS = ["x' OR 1=1 --", 'x" OR "1"="1', "'); DROP TABLE articles; --"]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("option", ["--artist", "--source"])
def test_export_names_an_injected_value_and_writes_nothing(archive, tmp_path, option, value):
    before = sha256(archive)
    out = tmp_path / "release"
    result = CliRunner().invoke(
        main, ["export", "--db", str(archive), option, value, "-o", str(out)]
    )
    assert result.exit_code == 1
    assert option in result.output and repr(value) in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())
    assert sha256(archive) == before


@pytest.mark.parametrize("value", INJECTIONS)
def test_export_search_and_dates_are_parameters(archive, tmp_path, value):
    before = sha256(archive)
    for option in ("--search", "--since", "--until"):
        out = tmp_path / option.strip("-")
        result = CliRunner().invoke(
            main, ["export", "--db", str(archive), option, value, "-o", str(out)]
        )
        if result.exit_code == 0:  # a valid full-text query that matches nothing
            rows = (out / "articles.csv").read_text().strip().splitlines()
            assert rows[1:] == [], option
        else:
            assert result.exit_code == 1 and option in result.output, result.output
            assert not out.exists() or not any(out.iterdir())
    assert sha256(archive) == before


def test_export_checks_its_output_path(archive, tmp_path):
    before = sha256(archive)
    for target, message in [
        (archive, "exists and is not a folder"),  # never writes over the archive itself
        (tmp_path / "file.txt", "exists and is not a folder"),
    ]:
        if not target.exists():
            target.write_text("keep me")
        result = CliRunner().invoke(main, ["export", "--db", str(archive), "-o", str(target)])
        assert result.exit_code == 1 and message in result.output, result.output
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["export", "--db", str(archive), "-o", str(busy)])
    assert result.exit_code == 1 and "not empty" in result.output
    assert (busy / "notes.txt").read_text() == "mine"
    assert (tmp_path / "file.txt").read_text() == "keep me"
    assert sha256(archive) == before
    assert not list(tmp_path.glob(".*partial"))  # no staging folder left behind


# -- configuration files -----------------------------------------------------------------

SOURCE = """\
sources:
  - id: evil
    name: {name}
    homepage: https://evil.example/
    allowed_domains: [evil.example]
    feeds: [https://evil.example/feed]
"""


def _payload(marker) -> str:
    return f'!!python/object/apply:os.system ["touch {marker}"]'


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (SOURCE.replace("{name}", "{payload}"), 3),
        ("sources: {payload}\n", 1),
        ("sources:\n  - !!python/object/new:builtins.dict {{id: evil}}\n", 2),
        ("{payload}\n", 1),
    ],
    ids=["in-an-entry", "as-the-list", "an-entry", "the-document"],
)
def test_sources_yml_tags_are_rejected(tmp_path, text, line):
    marker = tmp_path / "pwned"
    path = tmp_path / "sources.yml"
    path.write_text(text.format(payload=_payload(marker)))
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert str(caught.value).startswith(f"{path}:{line}: tag !!python/object/")
    assert "is not allowed" in str(caught.value)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("artists:\n  - name: {payload}\n", 2),
        ("artists: {payload}\n", 1),
        ("{payload}\n", 1),
        ("artists:\n  - !!python/object/new:builtins.dict {{name: x}}\n", 2),
    ],
)
def test_artists_yml_tags_are_rejected(tmp_path, text, line):
    # The same message as sources.yml's; it was PyYAML's "invalid YAML: could not
    # determine a constructor for the tag ...".
    marker = tmp_path / "pwned"
    path = tmp_path / "artists.yml"
    path.write_text(text.format(payload=_payload(marker)))
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    assert str(caught.value).startswith(f"{path}:{line}: tag !!python/object/")
    assert "is not allowed (plain YAML only)" in str(caught.value)
    assert not marker.exists()


def test_scrapy_crawl_rejects_a_tagged_sources_yml_in_one_line(tmp_path, demo_config):
    marker = tmp_path / "pwned"
    sources = tmp_path / "evil-sources.yml"
    sources.write_text(SOURCE.format(name=_payload(marker)))
    command = crawl_command(db=tmp_path / "a.db", sources=sources, artists=demo_config[1])
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"Error: {sources}:3: tag !!python/object/apply:os.system is not allowed (plain YAML only)"
    )
    assert not marker.exists() and not (tmp_path / "a.db").exists()
