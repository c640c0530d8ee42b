"""Docs are part of the product: a setting, a sources.yml key or a command without
documentation fails the build."""

import re
from pathlib import Path

from click.testing import CliRunner

from newscrawl import settings
from newscrawl.cli import main
from newscrawl.sources import _KNOWN

ROOT = Path(__file__).resolve().parents[1]


def test_every_newscrawl_setting_is_documented():
    documented = (ROOT / "docs" / "settings.md").read_text()
    names = [name for name in dir(settings) if name.startswith("NEWSCRAWL_")]
    assert names, "settings.py defines no NEWSCRAWL_ settings"
    missing = [name for name in names if f"`{name}`" not in documented]
    assert not missing, f"undocumented settings in docs/settings.md: {missing}"


def test_every_sources_key_is_documented():
    documented = (ROOT / "docs" / "sources.md").read_text()
    missing = [key for key in sorted(_KNOWN) if f"| `{key}` |" not in documented]
    assert not missing, f"undocumented sources.yml keys in docs/sources.md: {missing}"


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert re.search(r"Example", result.output), f"`newscrawl {name} --help` shows no example"
        assert command.help and len(command.help.strip()) > 40, (
            f"`newscrawl {name}` has no real help text"
        )


def test_readme_shows_the_two_commands_first():
    readme = (ROOT / "README.md").read_text()
    first_block = readme[: readme.find("\n## ", readme.find("make test"))]
    assert "make demo" in first_block and "make test" in first_block


def test_every_command_option_is_documented():
    """Each `newscrawl` option appears in README.md or docs/*.md (`--sites-port`,
    `stats --runs/--json`, `reextract --artists` and `extract --jobs` were in --help only)."""
    documented = (ROOT / "README.md").read_text() + "".join(
        page.read_text() for page in sorted((ROOT / "docs").glob("*.md"))
    )
    missing = []
    for name, command in main.commands.items():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                documented_here = re.search(re.escape(opt) + r"(?![\w-])", documented)
                if opt.startswith("--") and opt != "--help" and not documented_here:
                    missing.append(f"newscrawl {name} {opt}")
    assert not missing, f"options documented only in --help: {missing}"
