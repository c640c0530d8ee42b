"""The seed article (../shared/seeds/britney-gaga-duet.txt): Britney Spears and Lady Gaga.

The text is kept here, paragraph by paragraph, so the suite runs from a fresh clone.
"""

from __future__ import annotations

import pytest

from newscrawl.artists import load_watchlist

SEED_PARAGRAPHS = [
    "Britney Spears Duet",
    "Britney Spears Prepping Duet With Lady Gaga",
    "Britney Spears and Lady Gaga will reportedly begin work on their duet very soon.",
    "Rumors started swirling about the project last year when the “Toxic” singer said she’d love to work with Mother Monster at some point down the road. When Lady Gaga revealed on Twitter that she was definitely down for a collaboration, it seemed like a sure thing.",
    "“I would do a duet with Lady Gaga. I think that would be a lot of fun. I think she’s very different and interesting and intricate, and I like her as an artist,” Britney said during a fan Q&A session.",
    "However, everything remained quiet on that front until Britney Spears teased she was going to meet up with Lady Gaga in the very near future. As it turns out, the “Applause” singer recently checked out Spears’ show at Planet Hollywood in Las Vegas.",
    "Lady Gaga even shared a photo prior to attending the recent performance.",
    "According to Us Weekly, Britney Spears had a brief chat with Gaga about the possible duet while hanging out backstage before the show. Although it’s still unclear when or if the collaboration will take place, a source seems to think it’s going to happen sooner than later.",
    "“During the song ‘Till the World Ends,’ Gaga walked to the pit and tossed Britney roses. Brit blew her a kiss!” an insider told the website.",
    "Check out video of the aforementioned kiss below.",
    "Here’s a pic of the pair hanging out together.",
    "The Inquisitr previously reported that Lady Gaga is possibly preparing to unleash the sequel to the commercially disappointing album ARTPOP. Although a release date isn’t readily available, it’s believed the songs could arrive at some point later this year.",
    "In a recent message to her fans, the singer said she’s slowly but surely getting everything back on track following the troubled release of ARTPOP. She also teased that she’s returning to the studio to work with producer DJ White Shadow.",
    "“I know you’re anxious for more ‘ARTPOP.’ I am working so so so so hard and the wait will be worth it. We are 100 percent back on track and I’m busy creating behind the scenes. I miss you so much!” she told her fans.",
    "Are you looking forward to a possible Britney Spears and Lady Gaga duet?",
]
SEED = "\n\n".join(SEED_PARAGRAPHS)
TITLE = SEED_PARAGRAPHS[1]
BODY = "\n\n".join(SEED_PARAGRAPHS[2:])


@pytest.fixture(scope="module")
def matcher():
    return load_watchlist().matcher()


def by_id(mentions):
    return {m.artist_id: m for m in mentions}


def test_seed_both_artists_salient(matcher):
    found = matcher.tag(TITLE, None, BODY)
    assert [m.artist_id for m in found] == ["lady-gaga", "britney-spears"]
    mentions = by_id(found)
    britney, gaga = mentions["britney-spears"], mentions["lady-gaga"]
    assert britney.salience >= 0.5 and gaga.salience >= 0.5
    assert britney.in_title and gaga.in_title
    assert britney.first_offset == 0
    assert BODY[gaga.first_offset :].startswith("Lady Gaga")


def test_seed_counts(matcher):
    mentions = by_id(matcher.tag(TITLE, None, BODY))
    # Britney: title + "Britney Spears" ×4, "Britney" ×2, "Spears’" (weak), "Brit" (weak)
    assert mentions["britney-spears"].count == 9
    # Gaga: title + "Lady Gaga" ×7, "Mother Monster", "Gaga" ×2
    assert mentions["lady-gaga"].count == 11


def test_seed_rules(matcher):
    spans = [s for s in matcher.spans(TITLE, None, BODY) if s.field == "body"]
    texts = [(s.text, s.artist_id, s.weak) for s in spans]
    assert ("Mother Monster", "lady-gaga", False) in texts
    assert ("Brit", "britney-spears", True) in texts  # "Brit blew her a kiss"
    assert ("Spears", "britney-spears", True) in texts  # "Spears’ show"
    assert ("Gaga", "lady-gaga", False) in texts
    for span in spans:
        assert BODY[span.start : span.end] == span.text
    brit = next(s for s in spans if s.text == "Brit")
    assert BODY[brit.start :].startswith("Brit blew her a kiss")
    spears = next(s for s in spans if s.text == "Spears")
    assert BODY[spears.start :].startswith("Spears’ show")


def test_seed_weak_aliases_need_the_strong_mention(matcher):
    alone = "Check out Spears’ show. Brit blew her a kiss!"
    assert matcher.tag(None, None, alone) == []
    with_strong = matcher.tag("Britney Spears in Vegas", None, alone)
    assert [(m.artist_id, m.count) for m in with_strong] == [("britney-spears", 3)]


def test_seed_as_one_untitled_text(matcher):
    mentions = by_id(matcher.tag(None, None, SEED))
    assert mentions["britney-spears"].count == 10  # the site's "Britney Spears Duet" too
    assert mentions["lady-gaga"].count == 11
    assert all(m.salience >= 0.5 for m in mentions.values())


def test_seed_snippets(matcher):
    mentions = by_id(matcher.tag(TITLE, None, BODY))
    for mention in mentions.values():
        assert 1 <= len(mention.snippets) <= 3
        for snippet in mention.snippets:
            assert "**" in snippet and "\n" not in snippet
            assert len(snippet) <= 130
    assert mentions["lady-gaga"].snippets[0].startswith("Britney Spears and **Lady Gaga**")
