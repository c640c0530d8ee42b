"""Watched artists: the watchlist (``artists.yml``) and the mention matcher.

>>> wl = load_watchlist()                      # the packaged newscrawl/data/artists.yml
>>> m = wl.select(["Britney Spears"]).matcher()
>>> [(x.artist, x.count) for x in m.tag("Britney Spears's comeback", None, "Spears' show.")]
[('Britney Spears', 2)]

Counting rules (what is ONE mention; ``docs/artists.md`` has examples):

1. Title, description and body are matched separately and every counted occurrence in
   any of them adds one to ``count``; ``first_offset`` is the first one in the body.
2. Matching is on folded text: case, diacritics (Beyoncé = Beyonce), apostrophe styles
   (Gaga’s = Gaga's), whitespace and line breaks (``Lady\\nGaga``), hyphens (``Lady-Gaga``
   = Lady Gaga), soft hyphens, joiners and bidi marks are ignored. Zero-width spaces
   and name dots (``·``, ``・``) separate words; a line-end hyphen before a lowercase
   letter joins the broken word (``Brit-\\nney`` = Britney, ``Brit-\\nish`` = British).
3. A phrase matches only as whole words: no Brit in British, no Gaga in gagaku, no Swift
   in swiftly or Swifties. Possessives (Spears's, Spears', Gaga’s) and hyphenated
   compounds (Gaga-esque, Britney-inspired, post-Britney) do count: a hyphen is a word
   boundary. Names never match across a paragraph break. Next to Chinese, Japanese,
   Korean or Thai letters no boundary is needed ("布兰妮Britney Spears新歌").
4. Longest match first, over all artists: "Britney Spears" is one mention (not Britney +
   Spears), "Jamie Lynn Spears" is hers, not Britney's. Occurrences never overlap.
5. A match overlapping one of the same artist's ``exclude`` phrases is not counted
   ("Brit Awards", "Jamie Spears", "Prince Harry").
6. Weak aliases count only when the article (title, description or body) has at least
   one counted strong mention (name or alias) of the same artist; otherwise zero. A weak
   alias joined to a capitalised name-like word is someone else's name (Lynne Spears,
   Taylor Lautner) and does not count.
7. ``case_sensitive`` phrases match only as written (Swift, not swift), or in capitals
   inside an all-caps line ("SWIFT DROPS ALBUM"). On an all-caps line or in a Title Case
   title capitals say nothing, so such a match counts only beside a strong mention.
8. Names inside URLs, e-mail addresses and bare domains (ladygaga.com) do not count; a
   link glued to a name ("Lady Gaga.pic.twitter.com/x") hides only the link. Hashtags
   and @handles count with or without the name's spaces (#LadyGaga, @ladygaga).
9. A ``shared`` phrase (claimed by several artists, marked in each) counts for each of
   them (subject to rule 6 for each).

Salience is described in :mod:`newscrawl.artists.salience`, snippets in
:mod:`newscrawl.artists.snippets`.
"""

from newscrawl.artists.matcher import Matcher, MatchSpan
from newscrawl.artists.normalize import fold, fold_phrase, slugify
from newscrawl.artists.watchlist import DEFAULT_ARTISTS_PATH, Artist, Watchlist, load_watchlist

__all__ = [
    "DEFAULT_ARTISTS_PATH",
    "Artist",
    "MatchSpan",
    "Matcher",
    "Watchlist",
    "fold",
    "fold_phrase",
    "load_watchlist",
    "slugify",
]
