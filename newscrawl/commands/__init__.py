"""One module per ``newscrawl`` subcommand; ``COMMANDS`` lists them for the group.

Adding a command: write ``newscrawl/commands/<name>.py`` with a click command, import it
here and append it to ``COMMANDS``.
"""

from __future__ import annotations

from newscrawl.commands.demo import demo

COMMANDS: list = [demo]
