"""Error pages without the ``rich`` console traceback.

Datasette 0.65's default ``handle_exception`` prints every exception, each 404 included,
with ``rich`` when that package is importable (newscrawl's ``export`` extra brings it:
frictionless -> typer -> rich). It calls ``print_exception`` outside the ``except``
block, which rich 14+ refuses with a ``ValueError``: a mistyped URL such as
``/a/b/c/d`` became a 500 instead of a 404, and every 404 wrote a screenful of request
locals, headers included, to the server log. Every handler runs (Datasette awaits them
all and keeps the first response), so another hook cannot stand in for it: this module
hides ``rich`` from it instead. Error pages, statuses and JSON stay Datasette's own.

Self-contained (Datasette only) so that ``datasette publish ... --plugins-dir
archive/plugins`` works without installing newscrawl.
"""

import datasette.handle_exception

# The default handler's only use of rich is that console print; without it the handler
# renders the page as it does when rich is not installed.
datasette.handle_exception.rich = None
