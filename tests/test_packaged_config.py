"""The config files packaged in newscrawl/data/, read from a zipped egg as Scrapyd runs
the project: a crawl copies them out to temporary files, which it removes when it ends,
and an error in them names the packaged file, not the temporary copy."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from crawling import ROOT


def test_a_crawl_from_the_egg_names_the_packaged_file_and_leaves_no_copy(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "newscrawl.scale.egg", "--out", str(tmp_path / "dist")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    egg = built.stdout.strip()
    # As a Scrapyd job: the egg first on the path, no scrapy.cfg in the working folder.
    env = {**os.environ, "PYTHONPATH": egg, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    crawl = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "sources=popwire"]
        + ["-s", f"NEWSCRAWL_DB={tmp_path / 'archive.db'}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 1, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    # The popwire of the demo publishers is not among the packaged real ones.
    assert len(errors) == 1, stderr
    assert errors[0].startswith(
        "Error: newscrawl/data/sources.yml (packaged): field 'sources': unknown source id(s)"
        " popwire (known: "
    ), stderr
    # Every Scrapyd job left its copies in the temporary folder for good.
    leftovers = list(Path(tempfile.gettempdir()).glob(f"newscrawl-{crawl.pid}-*"))
    assert leftovers == []
