"""newscrawl: an archive of entertainment-news coverage of named artists."""

__version__ = "0.1.0"
