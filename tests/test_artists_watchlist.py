"""Watchlist loading and validation: every problem names file, artist, field and line."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from newscrawl.artists import (
    DEFAULT_ARTISTS_PATH,
    Artist,
    Watchlist,
    load_watchlist,
    slugify,
)
from newscrawl.demo.catalog import ARTISTS_FILE as DEMO_ARTISTS_PATH
from newscrawl.errors import ConfigError

BRITNEY = {
    "name": "Britney Spears",
    "aliases": ["Britney", "Britney Jean Spears", "Princess of Pop"],
    "weak_aliases": ["Spears", "Brit"],
    "exclude": ["Jamie Lynn Spears", "Jamie Spears", "Brit Awards"],
    "case_sensitive": ["Brit"],
    "wikidata": "Q11975",
}


def write(tmp_path, text: str):
    path = tmp_path / "artists.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(tmp_path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_watchlist(path)
    return caught.value


# -- slugs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Beyoncé", "beyonce"),
        ("P!nk", "pink"),
        ("Britney Spears", "britney-spears"),
        ("Ke$ha", "kesha"),
        ("A$AP Rocky", "asap-rocky"),
        ("Guns N’ Roses", "guns-n-roses"),
        ("Sinéad O'Connor", "sinead-oconnor"),
        ("Panic! at the Disco", "panic-at-the-disco"),
        ("Mötley Crüe", "motley-crue"),
        ("Jay-Z", "jay-z"),
        ("AC/DC", "ac-dc"),
        ("Røyksopp", "royksopp"),
        ("  The  Weeknd ", "the-weeknd"),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug


# -- loading ---------------------------------------------------------------------------


def test_load_valid_file(tmp_path):
    path = write(
        tmp_path,
        """\
        artists:
          - name: Britney Spears
            aliases: [Britney, Britney Jean Spears]
            weak_aliases: [Spears, Brit]
            exclude: [Jamie Lynn Spears, Brit Awards]
            case_sensitive: [Brit]
            wikidata: Q11975
          - name: Beyoncé
            aliases: [Beyonce, Queen Bey]
        """,
    )
    wl = load_watchlist(path)
    assert [a.id for a in wl.artists] == ["britney-spears", "beyonce"]
    britney = wl.by_id("britney-spears")
    assert britney == Artist(
        id="britney-spears",
        name="Britney Spears",
        aliases=("Britney", "Britney Jean Spears"),
        weak_aliases=("Spears", "Brit"),
        exclude=("Jamie Lynn Spears", "Brit Awards"),
        case_sensitive=("Brit",),
        wikidata="Q11975",
    )
    assert wl.path == str(path)
    assert len(wl) == 2


def test_from_dicts_round_trip():
    wl = Watchlist.from_dicts([BRITNEY, {"name": "Lady Gaga"}])
    again = Watchlist.from_dicts(wl.to_dicts())
    assert again.artists == wl.artists
    assert wl.path == "<inline>"


def test_default_watchlist_is_valid_and_broad():
    wl = load_watchlist()
    assert load_watchlist(DEFAULT_ARTISTS_PATH).artists == wl.artists
    assert len(wl.artists) >= 30
    ids = {a.id for a in wl.artists}
    assert {"britney-spears", "lady-gaga", "taylor-swift", "beyonce", "pink", "drake"} <= ids
    assert wl.by_id("britney-spears").wikidata == "Q11975"
    assert wl.by_id("lady-gaga").wikidata == "Q19848"
    assert sum(bool(a.weak_aliases) for a in wl.artists) >= 20
    assert sum(bool(a.exclude) for a in wl.artists) >= 20
    assert sum(bool(a.case_sensitive) for a in wl.artists) >= 10
    text = DEFAULT_ARTISTS_PATH.read_text(encoding="utf-8")
    assert text.startswith("#") and "case_sensitive" in text.split("\nartists:")[0]


def test_select_by_name_alias_or_id_case_insensitive():
    wl = Watchlist.from_dicts([BRITNEY, {"name": "Lady Gaga", "aliases": ["Mother Monster"]}])
    assert [a.id for a in wl.select(["mother monster"]).artists] == ["lady-gaga"]
    assert [a.id for a in wl.select(["BRITNEY", "lady-gaga"]).artists] == [
        "britney-spears",
        "lady-gaga",
    ]
    assert [a.id for a in wl.select("Lady Gaga").artists] == ["lady-gaga"]
    with pytest.raises(ConfigError, match="unknown artist 'Madonna'"):
        wl.select(["Britney", "Madonna"])


def test_by_id_unknown_is_key_error():
    with pytest.raises(KeyError, match="nobody"):
        Watchlist.from_dicts([BRITNEY]).by_id("nobody")


def test_watchlist_and_matcher_pickle():
    wl = Watchlist.from_dicts([BRITNEY])
    again = pickle.loads(pickle.dumps(wl.matcher()))
    text = "Britney Spears’ show. Spears waved."
    assert again.tag(None, None, text) == wl.matcher().tag(None, None, text)
    assert wl.matcher() is wl.matcher()  # compiled once


def test_name_and_alias_spelled_alike_are_harmless():
    wl = Watchlist.from_dicts([{"name": "Beyoncé", "aliases": ["Beyonce", "Beyonce"]}])
    assert wl.artists[0].aliases == ("Beyonce",)


def test_case_sensitive_true_means_all_names():
    wl = Watchlist.from_dicts([{"name": "Drake", "aliases": ["Drizzy"], "case_sensitive": True}])
    assert wl.artists[0].case_sensitive == ("Drake", "Drizzy")


def test_case_sensitive_true_keeps_every_spelling_of_a_name():
    # Spellings that fold alike but differ in case are each a form to match: `true`
    # kept only the last one, so the canonical name "Cher" stopped matching at all.
    wl = Watchlist.from_dicts([{"name": "Cher", "aliases": ["CHER"], "case_sensitive": True}])
    assert wl.artists[0].case_sensitive == ("Cher", "CHER")
    assert [(m.artist, m.count) for m in wl.matcher().tag(None, None, "Cher sang.")] == [
        ("Cher", 1)
    ]
    wl = Watchlist.from_dicts(
        [{"name": "Lady Gaga", "aliases": ["Gaga", "GaGa"], "case_sensitive": True}]
    )
    assert wl.artists[0].case_sensitive == ("Lady Gaga", "Gaga", "GaGa")
    found = wl.matcher().tag(None, None, "Lady Gaga, Gaga and GaGa sang; gaga did not.")
    assert [(m.artist, m.count) for m in found] == [("Lady Gaga", 3)]


# -- errors ----------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.yml: file not found"):
        load_watchlist(tmp_path / "nope.yml")


def test_yaml_syntax_error_names_line(tmp_path):
    error = load_error(tmp_path, "artists:\n  - name: [Britney\n  - name: x\n")
    assert error.line is not None and error.line >= 2
    assert str(error).startswith(f"{tmp_path / 'artists.yml'}:{error.line}: invalid YAML")


def test_yaml_is_loaded_safely(tmp_path):
    error = load_error(
        tmp_path, "artists:\n  - name: !!python/object/apply:os.system ['echo hi']\n"
    )
    assert "tag !!python/object/apply:os.system is not allowed (plain YAML only)" in str(error)
    assert error.line == 2


def test_unknown_field_names_artist_field_and_line(tmp_path):
    error = load_error(
        tmp_path,
        """\
        artists:
          - name: Britney Spears
            aliases: [Britney]
          - name: Lady Gaga
            alias: [Gaga]
        """,
    )
    assert error.entry == "artist 'Lady Gaga'"
    assert error.field == "alias"
    assert error.line == 5
    assert str(error).startswith(f"{tmp_path / 'artists.yml'}:5: artist 'Lady Gaga': field 'alias'")
    assert "unknown field" in str(error)


@pytest.mark.parametrize(
    ("entry", "field", "line", "message"),
    [
        ("name: 311", "name", 2, "got a number (311; quote it if it is a name)"),
        ("name: Yes", "name", 2, "got a boolean (true; quote it if it is a name)"),
        ("name: ''", "name", 2, "must not be empty"),
        ("name: '!!!'", "name", 2, "no letters or digits"),
        ("name: X\n    aliases: Britney", "aliases", 3, "expected a list of names"),
        ("name: X\n    aliases: [A, 7]", "aliases", 3, "got a number (7"),
        ("name: X\n    weak_aliases: [A, null]", "weak_aliases", 3, "got nothing (null)"),
        ("name: X\n    exclude: {a: b}", "exclude", 3, "got a dict"),
        ("name: X\n    wikidata: 11975", "wikidata", 3, "expected a Wikidata item id"),
        ("name: X\n    wikidata: Q-1", "wikidata", 3, "expected a Wikidata item id"),
        ("name: X\n    id: Not A Slug", "id", 3, "expected a slug"),
        ("name: X\n    case_sensitive: [Y]", "case_sensitive", 3, "'Y' is not one of"),
        ("name: X\n    case_sensitive: yes please", "case_sensitive", 3, "expected a list"),
        ("name: X\n    shared: [Y]", "shared", 3, "'Y' is not one of"),
        ("aliases: [A]", "name", 2, "missing"),
    ],
)
def test_wrong_types_and_values(tmp_path, entry, field, line, message):
    error = load_error(tmp_path, f"artists:\n  - {entry}\n")
    assert error.field == field
    assert error.line == line
    assert message in str(error)
    assert str(tmp_path / "artists.yml") in str(error)


def test_artist_must_be_a_mapping(tmp_path):
    error = load_error(tmp_path, "artists:\n  - name: A\n  - Lady Gaga\n")
    assert error.entry == "artist #2" and error.line == 3
    assert "expected a mapping" in str(error)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("- name: Britney\n", "start the file with 'artists:'"),
        ("artist:\n  - name: Britney\n", "unknown top-level key 'artist'"),
        ("artists: Britney\n", "'artists' must be a list"),
    ],
)
def test_top_level_shape(tmp_path, text, message):
    assert message in str(load_error(tmp_path, text))


def test_duplicate_key_in_yaml_mapping(tmp_path):
    error = load_error(tmp_path, "artists:\n  - name: A\n    aliases: [B]\n    aliases: [C]\n")
    assert error.line == 4 and "'aliases' appears twice" in str(error)


def test_phrase_in_two_roles_is_an_error(tmp_path):
    error = load_error(
        tmp_path,
        "artists:\n  - name: Britney Spears\n    aliases: [Spears]\n    weak_aliases: [spears]\n",
    )
    assert error.field == "weak_aliases" and error.line == 4
    assert "also listed under 'aliases'" in str(error)


def test_duplicate_names_are_errors(tmp_path):
    error = load_error(
        tmp_path,
        """\
        artists:
          - name: Nirvana
          - name: Lady Gaga
          - name: NIRVANA
        """,
    )
    assert error.entry == "artist 'NIRVANA'" and error.line == 4
    assert "also a name of artist 'Nirvana'" in str(error)
    assert "(line 2)" in str(error)


def test_alias_claimed_by_two_artists_is_an_error(tmp_path):
    error = load_error(
        tmp_path,
        """\
        artists:
          - name: Beyoncé
            weak_aliases: [The Carters]
          - name: Jay-Z
            weak_aliases: [Hov, the carters]
        """,
    )
    assert error.entry == "artist 'Jay-Z'" and error.field == "weak_aliases"
    assert error.line == 5
    assert "'shared:'" in str(error)


def test_shared_marker_allows_an_alias_in_both():
    wl = Watchlist.from_dicts(
        [
            {"name": "Beyoncé", "weak_aliases": ["The Carters"], "shared": ["The Carters"]},
            {"name": "Jay-Z", "weak_aliases": ["The Carters"], "shared": ["the carters"]},
        ]
    )
    assert [a.shared for a in wl.artists] == [("The Carters",), ("the carters",)]
    assert [a.id for a in wl.select(["The Carters"]).artists] == ["beyonce", "jay-z"]


def test_shared_marker_needed_on_both_sides():
    with pytest.raises(ConfigError, match="'shared:'"):
        Watchlist.from_dicts(
            [
                {"name": "Beyoncé", "weak_aliases": ["The Carters"], "shared": ["The Carters"]},
                {"name": "Jay-Z", "weak_aliases": ["The Carters"]},
            ]
        )


def test_same_name_twice_needs_shared_and_distinct_ids():
    twins = [
        {"name": "Nirvana", "shared": ["Nirvana"]},
        {"name": "Nirvana", "shared": ["Nirvana"]},
    ]
    with pytest.raises(ConfigError, match="id 'nirvana' is already used"):
        Watchlist.from_dicts(twins)
    twins[1]["id"] = "nirvana-uk"
    assert [a.id for a in Watchlist.from_dicts(twins).artists] == ["nirvana", "nirvana-uk"]


def test_from_dicts_errors_name_artist_and_field_without_line():
    with pytest.raises(ConfigError) as caught:
        Watchlist.from_dicts([BRITNEY, {"name": "Lady Gaga", "weak_aliases": "Gaga"}])
    error = caught.value
    assert (error.path, error.entry, error.field, error.line) == (
        "<inline>",
        "artist 'Lady Gaga'",
        "weak_aliases",
        None,
    )
    assert str(error).startswith("<inline>: artist 'Lady Gaga': field 'weak_aliases': ")


def test_exclude_may_name_another_artist():
    wl = Watchlist.from_dicts([BRITNEY, {"name": "Jamie Lynn Spears"}])
    assert len(wl) == 2


@pytest.mark.parametrize("path", [DEFAULT_ARTISTS_PATH, DEMO_ARTISTS_PATH])
def test_packaged_watchlists_do_not_count_spears_the_weapon(path):
    # The demo watchlist listed Spears as a weak alias without case_sensitive, so in an
    # article that names Britney every lower-case "spears" counted for her.
    matcher = load_watchlist(path).matcher()
    body = "Britney Spears visited the museum. The warriors carried spears and shields."
    found = {m.artist_id: m.count for m in matcher.tag(None, None, body)}
    assert found == {"britney-spears": 1}
    found = {m.artist_id: m.count for m in matcher.tag(None, None, body + " Spears smiled.")}
    assert found == {"britney-spears": 2}
