"""`newscrawl demo`: the main job on the bundled demo publishers, as a user runs it."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

from crawling import ROOT


def free_port_block(size: int = 4) -> int:
    """A base port with ``size`` consecutive free ports after it."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + size >= 65535:
            continue
        try:
            sockets = []
            for port in range(base, base + size):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return base
    raise RuntimeError("no block of free ports")


def demo(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", "demo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def counts(db) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {
            t: conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("articles", "mentions", "drops", "revisions", "artists", "sources")
        }
    finally:
        conn.close()


def test_demo_no_serve_twice(tmp_path):
    db = tmp_path / "x.db"
    port = str(free_port_block())
    first = demo("--no-serve", "--db", str(db), "--sites-port", port)
    assert first.returncode == 0, first.stderr
    assert (
        "Archive" in first.stdout
        and "Articles per artist" in first.stdout
        and "no_artist" in first.stdout
    )
    assert "Progress:" in first.stderr
    # The demo's raw pages stay apart from warc/, which `reextract --db archive/archive.db`
    # replays whole: they went there, and the fictional articles into the real archive.
    assert list((tmp_path / "x-warc").glob("*.warc.gz"))
    assert not (tmp_path / "warc").exists()
    after_first = counts(db)
    assert (
        after_first["articles"] == 46
        and after_first["sources"] == 4
        and after_first["artists"] == 10
    )
    second = demo("--no-serve", "--db", str(db), "--sites-port", port)
    assert second.returncode == 0, second.stderr
    assert counts(db) == after_first
    assert "0 new, 0 updated" in second.stdout


def test_demo_serves_datasette_with_the_seed_searchable(tmp_path):
    db = tmp_path / "demo.db"
    sites_port = free_port_block()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "demo.log"
    command = [sys.executable, "-m", "newscrawl", "demo", "--db", str(db), "--port", str(port)]
    with log.open("w") as output:
        proc = subprocess.Popen(
            [*command, "--sites-port", str(sites_port)],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/{db.stem}/articles.json?_search=duet&_shape=objects"
        deadline = time.monotonic() + 180
        data = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    data = json.load(response)
                break
            except urllib.error.HTTPError as error:  # up, but the crawl is not done yet
                error.close()
                time.sleep(0.5)
            except OSError:
                time.sleep(0.5)
        assert data is not None, log.read_text()
        seed = [
            r for r in data["rows"] if r["title"] == "Britney Spears Prepping Duet With Lady Gaga"
        ]
        assert len(seed) == 1
        assert set(json.loads(seed[0]["artists"])) == {"Britney Spears", "Lady Gaga"}
        # the demo publishers keep running while Datasette serves, so original links work
        with urllib.request.urlopen(seed[0]["url"], timeout=5) as response:
            assert response.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode in (0, 1, -signal.SIGINT), proc.returncode
    # One line says where the archive is served (there were two, one of them the home page).
    serving = [line for line in log.read_text().splitlines() if line.startswith("Serving")]
    assert len(serving) == 1 and f"http://127.0.0.1:{port}/{db.stem} " in serving[0], serving
    # the demo publishers stopped with it
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", sites_port)) != 0


def test_demo_publishers_do_not_outlive_a_killed_demo(tmp_path):
    sites_port = free_port_block()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "newscrawl",
        "demo",
        "--db",
        str(tmp_path / "k.db"),
        "--port",
        str(port),
    ]
    with (tmp_path / "k.log").open("w") as output:
        proc = subprocess.Popen(
            [*command, "--sites-port", str(sites_port)],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", sites_port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "k.log").read_text())
    finally:
        proc.kill()  # SIGKILL: no finally block of ours runs
        proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", sites_port)) != 0:
                return
        time.sleep(0.2)
    raise AssertionError("the demo publishers outlived a killed `newscrawl demo`")


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if "Error:" in line]
    assert len(lines) == 1 and lines[0].count("Error:") == 1, result.stderr
    return lines[0]


def test_a_taken_datasette_port_stops_the_demo_before_it_crawls(tmp_path):
    # A second `make demo` while the first still serves: say so at once, not after a
    # whole crawl that ends in "Serving the archive on ..." and then an error.
    db = tmp_path / "x.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = demo("--db", str(db), "--port", port, "--sites-port", str(free_port_block()))
    line = one_error_line(result)
    assert f"127.0.0.1:{port}" in line and "--port" in line and "--no-serve" in line
    assert not db.exists()
    assert "Crawling" not in result.stderr and "Serving" not in result.stderr


def test_a_taken_publisher_port_is_one_error_naming_sites_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = demo("--no-serve", "--db", str(tmp_path / "x.db"), "--sites-port", port)
    line = one_error_line(result)
    assert f"127.0.0.1:{port}" in line and "--sites-port" in line


def test_a_db_that_is_no_archive_is_one_error_before_the_publishers_start(tmp_path):
    # It was Scrapy's tracebacks (the archive failed to open inside the engine) and
    # "the news crawl did not finish; see the log above", after the publishers started.
    not_db = tmp_path / "notes.txt"
    not_db.write_text("not a database " * 100)
    result = demo("--no-serve", "--db", str(not_db), "--sites-port", str(free_port_block()))
    line = one_error_line(result)
    assert str(not_db) in line and "not a database" in line
    assert "Crawling" not in result.stderr
    assert not_db.read_text() == "not a database " * 100
    # A file where --db's folder should be names it.
    line = one_error_line(demo("--no-serve", "--db", str(not_db / "x.db")))
    assert f"folder {not_db} is a file" in line
