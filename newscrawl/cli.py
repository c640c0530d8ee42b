"""The ``newscrawl`` command: a thin click group over the library.

Each command lives in its own module under ``newscrawl/commands/`` so that a command's
arguments sit next to nothing but the call into the library. User errors
(:class:`~newscrawl.errors.NewscrawlError`) become one clear line and exit code 1.
"""

from __future__ import annotations

import click

from newscrawl import __version__
from newscrawl.errors import NewscrawlError


class NewscrawlGroup(click.Group):
    """A click group that turns library errors into one-line messages, not tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NewscrawlError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            # A file that cannot be read or written is a user error, not a bug.
            if error.filename:
                raise click.ClickException(f"{error.filename}: {error.strerror}") from None
            raise


@click.group(cls=NewscrawlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newscrawl")
def main() -> None:
    """Archive entertainment-news coverage of named artists.

    \b
    Example:
        newscrawl demo            # crawl the bundled demo publishers, then browse
        newscrawl serve archive/archive.db
    """


def _register() -> None:
    # Imported here, not at the top, so `newscrawl --help` stays cheap and a broken
    # optional dependency only affects its own command.
    from newscrawl.commands import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_register()
