"""Scrapyd end to end: a real Scrapyd on a free local port, the project deployed as an
egg with scrapyd-client's `scrapyd-deploy`, crawls scheduled through schedule.json and
followed through listjobs.json, and their archives checked."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
from crawling import FAST

from newscrawl.scale.local import free_port

BIN = Path(sys.executable).parent
# Scrapyd runs the job from the deployed egg; a PYTHONPATH naming a checkout (as when
# running the suite from a git worktree) would put that checkout's package first.
ENV = {
    **{name: value for name, value in os.environ.items() if name != "PYTHONPATH"},
    "PYTHONWARNINGS": "ignore",
}


def call(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + endpoint, data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    """Scrapyd on 127.0.0.1:<free port>, its eggs, logs and queues in a temporary folder."""
    folder = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (folder / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {folder / 'eggs'}\n"
        f"logs_dir = {folder / 'logs'}\n"
        f"dbs_dir = {folder / 'dbs'}\n"
        "items_dir =\n"
        "max_proc = 2\n"
        "poll_interval = 0.2\n"
    )
    log = open(folder / "scrapyd.log", "wb")  # noqa: SIM115 - closed after the server stops
    # Scrapyd reads scrapyd.conf from its working directory, and runs its jobs there.
    process = subprocess.Popen(
        [str(BIN / "scrapyd")], cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=ENV
    )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            assert call(base, "daemonstatus.json")["status"] == "ok"
            break
        except OSError:
            assert process.poll() is None, (folder / "scrapyd.log").read_text()
            assert time.monotonic() < deadline, "Scrapyd did not start"
            time.sleep(0.1)
    yield base, folder
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def deployed(scrapyd, tmp_path_factory):
    """The project built as an egg and deployed with `scrapyd-deploy --egg`."""
    base, _ = scrapyd
    folder = tmp_path_factory.mktemp("deploy")
    # Built with the suite's own PYTHONPATH: the egg holds the checkout under test (from a
    # git worktree, ENV would build it from the checkout the virtualenv was installed from).
    built = subprocess.run(
        [sys.executable, "-m", "newscrawl.scale.egg", "--out", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    egg = Path(built.stdout.strip())
    # A deploy target pointing at this Scrapyd, like the [deploy] section of scrapy.cfg.
    (folder / "scrapy.cfg").write_text(
        f"[settings]\ndefault = newscrawl.settings\n\n[deploy]\nurl = {base}\nproject = newscrawl\n"
    )
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "--egg", str(egg), "--version", "r1"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    answer = json.loads(deploy.stdout)
    assert answer["status"] == "ok" and answer["project"] == "newscrawl", answer
    return egg


def schedule(base: str, spider: str, settings: dict[str, str], **args: str) -> str:
    data = [("project", "newscrawl"), ("spider", spider)]
    data += [("setting", f"{name}={value}") for name, value in settings.items()]
    data += list(args.items())
    answer = call(base, "schedule.json", data)
    assert answer["status"] == "ok", answer
    return answer["jobid"]


def wait_finished(base: str, jobid: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = call(base, "listjobs.json?project=newscrawl")
        for job in jobs["finished"]:
            if job["id"] == jobid:
                return job
        time.sleep(0.2)
    raise AssertionError(f"job {jobid} did not finish: {jobs}")


def test_the_egg_holds_the_package_data_and_the_settings_entry_point(deployed):
    with zipfile.ZipFile(deployed) as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    for data in (
        "newscrawl/data/sources.yml",
        "newscrawl/data/artists.yml",
        "newscrawl/demo/artists.yml",
        "newscrawl/demo/content/popwire.yml",
    ):
        assert data in names
    assert "newscrawl/spiders/news.py" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    assert "[scrapy]" in entry_points and "settings = newscrawl.settings" in entry_points


def test_scrapyd_runs_the_demo_crawl_from_the_egg(
    scrapyd, deployed, tmp_path, demo_sites, demo_catalog
):
    base, folder = scrapyd
    spiders = call(base, "listspiders.json?project=newscrawl")["spiders"]
    assert "news" in spiders
    sources = demo_sites.write_sources(tmp_path / "sources.yml")
    artists = demo_sites.write_artists(tmp_path / "artists.yml")
    # Scrapyd runs jobs in its own folder: the archive path must be absolute.
    db = tmp_path / "archive" / "archive.db"
    settings = {
        **FAST,
        "NEWSCRAWL_DB": str(db),
        "NEWSCRAWL_SOURCES": str(sources),
        "NEWSCRAWL_ARTISTS": str(artists),
        "NEWSCRAWL_EXTRACT_WORKERS": "2",
    }
    jobid = schedule(base, "news", settings)
    job = wait_finished(base, jobid)
    log = (folder / "logs" / "newscrawl" / "news" / f"{jobid}.log").read_text()
    assert "Spider closed (finished)" in log, log[-3000:]
    assert "Traceback" not in log, log[-4000:]

    conn = sqlite3.connect(db)
    try:
        got = {row[0] for row in conn.execute("select canonical_url from articles")}
        run = conn.execute("select finish_reason, articles_new from crawl_runs").fetchall()
    finally:
        conn.close()
    expected = {
        a.canonical_url(demo_sites.base_urls)
        for a in demo_catalog.articles
        if a.archivable and a.artists and a.syndicated_from is None
    }
    assert got == expected and len(got) == 46
    assert run == [("finished", 46)]
    assert job["spider"] == "news"
    assert not (folder / "archive").exists()  # nothing written relative to Scrapyd's folder


def test_packaged_config_is_read_from_inside_the_egg(scrapyd, deployed, tmp_path, demo_sites):
    """Without NEWSCRAWL_ARTISTS the spider reads the watchlist packaged in the egg, a
    zip file: it is copied out to a temporary file of the job's process, removed when the
    job ends (tests/test_packaged_config.py checks the copy is made and named)."""
    base, _ = scrapyd
    sources = demo_sites.write_sources(tmp_path / "sources.yml")
    seed = next(
        a
        for a in demo_sites.catalog.articles
        if "Lady Gaga" in a.artists and "Britney Spears" in a.artists and a.archivable
    )
    db = tmp_path / "archive.db"
    settings = {
        **FAST,
        "NEWSCRAWL_DB": str(db),
        "NEWSCRAWL_SOURCES": str(sources),
        "NEWSCRAWL_EXTRACT_WORKERS": "0",
        "NEWSCRAWL_WARC_ENABLED": "0",
    }
    wait_finished(base, schedule(base, "news", settings, urls=demo_sites.url(seed)))
    conn = sqlite3.connect(db)
    try:
        (pid,) = conn.execute("select pid from crawl_runs").fetchone()
        artists = conn.execute("select count(*) from artists").fetchone()[0]
        archived = conn.execute("select artists from articles").fetchall()
    finally:
        conn.close()
    assert artists > 10  # the packaged watchlist, not the demo one
    assert len(archived) == 1 and "Britney Spears" in archived[0][0]
    copied = Path(tempfile.gettempdir()) / f"newscrawl-{pid}-artists.yml"
    assert not copied.exists(), "the job left its copy of the packaged watchlist"
