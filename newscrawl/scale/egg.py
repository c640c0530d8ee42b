"""Build the egg Scrapyd runs: ``python -m newscrawl.scale.egg [--out DIR]``.

Deploy it with ``scrapyd-deploy --egg PATH`` (docs/scaling.md). Plain ``scrapyd-deploy``
builds its own egg from a generated setup.py, but setuptools lets pyproject.toml's
``[project]`` table override that setup.py and drops its ``scrapy`` entry point
("entry-points defined outside of pyproject.toml would be ignored"); Scrapyd reads the
settings module from that entry point and fails to start such a job. This builds the
egg from a staging copy of the package with a setup.py of its own: the code, the
package data listed in pyproject.toml (newscrawl/data/*.yml, the demo files) and the
entry point.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

import newscrawl
from newscrawl.errors import NewscrawlError

DEFAULT_PACKAGE_DATA = {
    "newscrawl": ["data/*.yml", "demo/*.yml", "demo/content/*", "demo/content/**/*"]
}

SETUP_PY = """\
from setuptools import find_packages, setup

setup(
    name="newscrawl",
    version={version!r},
    packages=find_packages(include=["newscrawl", "newscrawl.*"]),
    package_data={package_data!r},
    entry_points={{"scrapy": ["settings = newscrawl.settings"]}},
    zip_safe=True,
)
"""


def package_data(pyproject: Path) -> dict[str, list[str]]:
    """``[tool.setuptools.package-data]`` of ``pyproject``, or the known default."""
    if not pyproject.exists():
        return DEFAULT_PACKAGE_DATA
    config = tomllib.loads(pyproject.read_text("utf-8"))
    return config.get("tool", {}).get("setuptools", {}).get("package-data", DEFAULT_PACKAGE_DATA)


def build_egg(out_dir: str | Path) -> Path:
    """Build ``newscrawl-<version>-py3.X.egg`` into ``out_dir``; returns its path."""
    package_dir = Path(newscrawl.__file__).resolve().parent
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="newscrawl-egg-") as staging:
        stage = Path(staging)
        shutil.copytree(
            package_dir, stage / "newscrawl", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        (stage / "setup.py").write_text(
            SETUP_PY.format(
                version=newscrawl.__version__,
                package_data=package_data(package_dir.parent / "pyproject.toml"),
            )
        )
        result = subprocess.run(
            [sys.executable, "setup.py", "--quiet", "bdist_egg", "--dist-dir", str(stage / "dist")],
            cwd=stage,
            capture_output=True,
            text=True,
        )
        eggs = sorted((stage / "dist").glob("*.egg"))
        if result.returncode != 0 or not eggs:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise NewscrawlError(f"building the egg failed: {' '.join(detail) or 'no egg'}")
        target = out / eggs[0].name
        shutil.copyfile(eggs[0], target)
    return target


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="dist", help="folder for the egg (default: dist)")
    args = parser.parse_args(argv)
    try:
        path = build_egg(args.out)
    except NewscrawlError as error:
        parser.exit(1, f"Error: {error}\n")
    print(path)
    return path


if __name__ == "__main__":
    main()
