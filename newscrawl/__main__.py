"""``python -m newscrawl`` runs the command line."""

from newscrawl.cli import main

main()
