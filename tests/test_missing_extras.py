"""A feature whose optional dependency is not installed says which extra to install, in
one line and exit code 1, before it starts; not a ModuleNotFoundError traceback halfway.

The commands run as real processes with the module made unimportable
(``sys.modules[name] = None`` makes ``import name`` raise ImportError), as in an
environment set up with a bare ``pip install -e .``.
"""

from __future__ import annotations

import subprocess
import sys

from archive_fixtures import build_archive
from crawling import ROOT

RUN_BLOCKED = (
    "import runpy, sys\n"
    "for name in sys.argv[1].split(','):\n"
    "    sys.modules[name] = None\n"
    "sys.argv = [sys.argv[2], *sys.argv[3:]]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)


def run_without(modules: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", RUN_BLOCKED, modules, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_parquet_export_without_pyarrow_names_the_extra_and_writes_nothing(tmp_path):
    db = build_archive(tmp_path / "archive.db")
    out = tmp_path / "release"
    proc = run_without(
        "pyarrow", "newscrawl", "export", "--db", str(db), "--format", "parquet", "-o", str(out)
    )
    line = one_line_error(proc)
    assert "pip install 'newscrawl[export]'" in line and "pyarrow" in line, line
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["archive.db"]


def test_csv_export_does_not_need_pyarrow(tmp_path):
    db = build_archive(tmp_path / "archive.db")
    proc = run_without("pyarrow", "newscrawl", "export", "--db", str(db), "-o", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r" / "datapackage.json").exists()


def test_ingest_without_redis_names_the_extra(tmp_path):
    proc = run_without(
        "redis",
        "newscrawl",
        "ingest",
        "--redis",
        "redis://127.0.0.1:1/0",
        "--db",
        str(tmp_path / "archive.db"),
        "--idle-exit",
        "1",
    )
    line = one_line_error(proc)
    assert "pip install 'newscrawl[scale]'" in line and "redis" in line, line


def test_redis_worker_without_scrapy_redis_names_the_extra(tmp_path, demo_config):
    sources, artists = demo_config
    proc = run_without(
        "scrapy_redis",
        "scrapy",
        "crawl",
        "news",
        "-s",
        "NEWSCRAWL_REDIS_URL=redis://127.0.0.1:1/0",
        "-s",
        f"NEWSCRAWL_SOURCES={sources}",
        "-s",
        f"NEWSCRAWL_ARTISTS={artists}",
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "pip install 'newscrawl[scale]'" in proc.stderr, proc.stderr


def test_refresh_without_redis_names_the_extra(tmp_path):
    db = build_archive(tmp_path / "archive.db")
    proc = run_without(
        "redis", "newscrawl", "refresh", "--redis", "redis://127.0.0.1:1/0", "--db", str(db)
    )
    line = one_line_error(proc)
    assert "pip install 'newscrawl[scale]'" in line, line
