"""One module per ``newscrawl`` subcommand; ``COMMANDS`` lists them for the group.

Adding a command: write ``newscrawl/commands/<name>.py`` with a click command, import it
here and append it to ``COMMANDS``.
"""

from __future__ import annotations

from newscrawl.commands.demo import demo
from newscrawl.commands.demo_site import demo_site
from newscrawl.commands.export import export
from newscrawl.commands.extract import extract
from newscrawl.commands.ingest import ingest
from newscrawl.commands.reextract import reextract
from newscrawl.commands.refresh import refresh
from newscrawl.commands.serve import serve
from newscrawl.commands.stats import stats
from newscrawl.commands.tag import tag

COMMANDS: list = [demo, export, reextract, serve, stats]
COMMANDS.append(tag)
COMMANDS.append(demo_site)
COMMANDS.append(extract)
COMMANDS.append(ingest)
COMMANDS.append(refresh)
