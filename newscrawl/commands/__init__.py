"""One module per ``newscrawl`` subcommand; ``COMMANDS`` lists them for the group."""

from __future__ import annotations

import importlib

# module name → click command attribute; a command is added by one line here.
_MODULES = {}


def _load():
    commands = []
    for module_name, attr in _MODULES.items():
        module = importlib.import_module(f"newscrawl.commands.{module_name}")
        commands.append(getattr(module, attr))
    return commands


COMMANDS = _load()
