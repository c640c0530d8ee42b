"""pyproject.toml in the form current setuptools reads without warnings.

setuptools 77+ warns, three times on every `make demo` / `make test` install, that a
`license = { text = ... }` table is deprecated and that builds using it stop being
supported after 2027-02-18; `[build-system] requires` is open-ended, so a fresh clone
would then fail to install. A PEP 639 SPDX expression needs setuptools 77.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_license_is_an_spdx_expression_with_a_setuptools_that_reads_it():
    config = tomllib.loads(PYPROJECT.read_text("utf-8"))
    assert config["project"]["license"] == "Apache-2.0"
    floors = [
        int(m.group(1))
        for r in config["build-system"]["requires"]
        if (m := re.fullmatch(r"setuptools\s*>=\s*(\d+)(?:\.\d+)*", r))
    ]
    assert floors and floors[0] >= 77
