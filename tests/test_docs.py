"""Docs are part of the product: a setting, a sources.yml key or a command without
documentation fails the build."""

import ast
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


def test_help_examples_keep_their_continuation_lines():
    """An example continued with a backslash shows it and its next line: a lone ``\\``
    at the end of a docstring line joins the two (`newscrawl refresh --help` showed
    "--db /srv/archive.db             --sources ...")."""
    runner = CliRunner()
    joined = []
    for name in main.commands:
        text = runner.invoke(main, [name, "--help"]).output.split("\nOptions:")[0]
        joined += [
            f"{name}: {line.strip()}" for line in text.splitlines() if re.search(r"\S {4,}--", line)
        ]
    assert not joined, "example lines joined in --help:\n" + "\n".join(joined)


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


# --- the docs against the code they describe -------------------------------------------

DOC_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# settings.get("NEWSCRAWL_X"), getint(...), getbool(...), with or without a fallback
# (os.environ.get reads an environment variable, not a setting)
SETTING_READ = re.compile(
    r"""(?<!environ)\.get(?:bool|int|float|list|dict)?\(\s*["'](NEWSCRAWL_\w+)["']"""
)
SETTING_FALLBACK = re.compile(
    r"""(?<!environ)\.get(?:bool|int|float)?\(\s*["'](NEWSCRAWL_\w+)["']\s*,\s*([^()]+?)\s*\)"""
)
SETTINGS_ROW = re.compile(r"^\| `(NEWSCRAWL_\w+)` \| ([^|]*) \|", re.MULTILINE)


def _code() -> str:
    """The package's source and the Datasette plugins, but not settings.py, which
    defines the settings rather than reads them."""
    files = [*sorted((ROOT / "newscrawl").rglob("*.py")), *sorted((ROOT / "archive").rglob("*.py"))]
    return "\n".join(f.read_text() for f in files if f != ROOT / "newscrawl" / "settings.py")


def _documented_settings() -> dict[str, str]:
    """Setting name -> the Default cell of its row in docs/settings.md."""
    text = (ROOT / "docs" / "settings.md").read_text()
    return {name: default.strip() for name, default in SETTINGS_ROW.findall(text)}


def test_every_setting_the_code_reads_is_documented():
    """A ``settings.get*("NEWSCRAWL_...")`` anywhere in the code, or a setting checked
    by setting_checks, has its row in docs/settings.md (settings.py need not define it)."""
    from newscrawl.setting_checks import NUMERIC_SETTINGS

    read = set(SETTING_READ.findall(_code())) | set(NUMERIC_SETTINGS)
    missing = sorted(read - set(_documented_settings()))
    assert not missing, f"settings read in the code but missing from docs/settings.md: {missing}"


def test_every_documented_setting_is_defined_and_read():
    documented = _documented_settings()
    assert len(documented) >= 20, "docs/settings.md lost its table of settings"
    code = _code()
    undefined = [name for name in documented if not hasattr(settings, name)]
    unread = [name for name in documented if f'"{name}"' not in code]
    assert not undefined, f"docs/settings.md documents settings settings.py lacks: {undefined}"
    assert not unread, f"docs/settings.md documents settings no code reads: {unread}"


def _same_value(documented: str, real: object) -> bool:
    if isinstance(real, bool):
        return documented == str(real)
    if isinstance(real, int | float):
        try:
            return float(documented) == float(real)
        except ValueError:
            return False
    return documented == str(real)


def test_documented_defaults_are_the_real_ones():
    """The Default column gives settings.py's value (an empty one is described in
    words), and a fallback in ``settings.getint("NEWSCRAWL_X", 100)`` agrees with it."""
    wrong = []
    for name, cell in _documented_settings().items():
        real = getattr(settings, name, None)
        if real in (None, ""):
            continue
        literal = re.fullmatch(r"`([^`]*)`", cell)
        if not literal or not _same_value(literal.group(1), real):
            wrong.append(f"{name}: documented {cell}, settings.py has {real!r}")
    fallbacks = SETTING_FALLBACK.findall(_code())
    assert fallbacks, "no settings.get*(name, fallback) found: the pattern is out of date"
    for name, fallback in fallbacks:
        real = getattr(settings, name, None)
        if real in (None, ""):
            continue
        if not _same_value(str(ast.literal_eval(fallback)), real):
            wrong.append(f"{name}: the code falls back to {fallback}, settings.py has {real!r}")
    assert not wrong, "defaults that disagree:\n" + "\n".join(wrong)


def test_every_newscrawl_environment_variable_is_documented():
    """``NEWSCRAWL_LOG_LEVEL``, ``NEWSCRAWL_CORPUS``...: every NEWSCRAWL_ name the code
    uses, setting or environment variable, is in README.md or docs/."""
    documented = "".join(page.read_text() for page in DOC_PAGES)
    names = set(re.findall(r"""["'](NEWSCRAWL_[A-Z][A-Z_]*)["']""", _code()))
    missing = sorted(name for name in names if name not in documented)
    assert not missing, f"NEWSCRAWL_ names the docs never mention: {missing}"


def test_every_command_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in main.commands if f"| `newscrawl {name}" not in readme]
    assert not missing, f"commands missing from the README's Commands table: {missing}"


def test_every_docs_page_is_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    pages = sorted((ROOT / "docs").glob("*.md"))
    missing = [page.name for page in pages if f"](docs/{page.name})" not in readme]
    assert not missing, f"docs pages the README's Documentation list does not link: {missing}"


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors (lower case, punctuation dropped, spaces to hyphens)
    and explicit ``<a id="...">`` of a Markdown page."""
    text_outside_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    headings = re.findall(r"^#+ (.*)$", text_outside_code, flags=re.MULTILINE)
    anchors = {
        re.sub(r"[^\w\- ]", "", h.replace("`", "").strip().lower()).replace(" ", "-")
        for h in headings
    }
    return anchors | set(re.findall(r'<a id="([^"]+)"', text))


def test_links_between_pages_and_their_anchors_resolve():
    broken = []
    for page in [*DOC_PAGES, ROOT / "newscrawl" / "demo" / "README.md"]:
        for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", link):
                continue  # http(s), mailto: not checked offline
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.exists():
                broken.append(f"{page.name}: {link} (no such file)")
            elif anchor and target.suffix == ".md" and anchor not in _anchors(target.read_text()):
                broken.append(f"{page.name}: {link} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_tests_the_docs_cite_exist():
    """reliability.md and scaling.md name the test behind each guarantee; a renamed or
    deleted test leaves the claim unchecked."""
    tests = ROOT / "tests"
    source = "".join(f.read_text() for f in tests.rglob("*.py"))
    defined = set(re.findall(r"def (test_\w+)", source))
    missing = []
    for page in DOC_PAGES:
        text = page.read_text()
        for path in set(re.findall(r"\btests/[\w/]+\.py\b", text)):
            if not (ROOT / path).exists():
                missing.append(f"{page.name}: {path}")
        for name in set(re.findall(r"`(?:tests/\w+\.py::|\w+\.py::)?(test_\w+)`", text)):
            if name not in defined:
                missing.append(f"{page.name}: {name}")
    assert not missing, "tests named in the docs that do not exist:\n" + "\n".join(missing)


def test_sources_defaults_are_the_real_ones():
    """docs/sources.md's ``no (1000)`` is the Source dataclass default."""
    from dataclasses import fields

    from newscrawl.sources import Source

    defaults = {f.name: f.default for f in fields(Source)}
    text = (ROOT / "docs" / "sources.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| no \(([^)]*)\) \|", text, flags=re.MULTILINE)
    assert rows, "docs/sources.md gives no defaults"
    wrong = [
        f"{key}: documented {doc}, Source has {defaults.get(key)!r}"
        for key, doc in rows
        if str(defaults.get(key)).lower() != doc.lower()
    ]
    assert not wrong, "\n".join(wrong)


def test_salience_weights_are_the_real_ones():
    from newscrawl.artists.salience import WEIGHTS

    text = (ROOT / "docs" / "artists.md").read_text()
    documented = {
        signal: float(weight)
        for signal, weight in re.findall(r"^\| (\w+) \| (0\.\d+) \|", text, flags=re.MULTILINE)
    }
    assert documented == WEIGHTS


def test_what_the_docs_write_into_the_checkout_is_ignored_by_git(tmp_path):
    # Exports and published copies hold publishers' article text (see docs/export.md,
    # "Rights-aware releases"): a `git add -A` in the checkout must not pick them up.
    import subprocess

    docs = "\n".join(p.read_text() for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
    written = set(re.findall(r"(?:-o|--output) (releases/[\w.-]+)", docs))
    written |= set(re.findall(r"mkdir -p (publish)\b", docs))
    written |= set(re.findall(r"JOBDIR=(crawls/[\w.-]+)", docs))
    assert {"publish", "releases/everything", "crawls/news-1"} <= written
    files = [f"{folder}/{name}" for folder in sorted(written) for name in ("x.csv", "x.json")]
    # A repository of its own holding only our .gitignore: the checkout may be a tarball.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    checked = subprocess.run(
        ["git", "-C", str(tmp_path), "check-ignore", "--no-index", *files],
        capture_output=True,
        text=True,
    )
    assert sorted(checked.stdout.split()) == sorted(files)
