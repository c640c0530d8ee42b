"""``newscrawl tag``: JSON Lines in, mentions out; one-line errors naming the bad line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newscrawl.cli import main

ARTICLES = [
    {
        "id": "a1",
        "title": "Britney Spears Prepping Duet With Lady Gaga",
        "body": "Britney Spears and Lady Gaga will reportedly begin work on their duet.\n\n"
        "The “Applause” singer recently checked out Spears’ show.",
    },
    {"id": 2, "title": "Weather", "body": "Rain all week."},
    {
        "id": 3,
        "title": None,
        "description": "Lady Gaga speaks out",
        "body": "“I am working so hard,” she told her fans.",
    },
]


def run(args, input=None):
    return CliRunner().invoke(main, ["tag", *args], input=input)


def jsonl(rows) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def test_tag_file_with_default_watchlist(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(ARTICLES), encoding="utf-8")
    result = run(["--jsonl", str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["a1", 2, 3]
    first = {m["artist_id"]: m for m in rows[0]["mentions"]}
    assert set(first) == {"britney-spears", "lady-gaga"}
    britney = first["britney-spears"]
    assert set(britney) == {
        "artist",
        "artist_id",
        "count",
        "in_title",
        "first_offset",
        "snippets",
        "salience",
        "spans",
    }
    assert britney["artist"] == "Britney Spears"
    assert britney["count"] == 3 and britney["in_title"] is True
    assert britney["first_offset"] == 0
    # One place per counted mention, each on a name of hers in its field.
    assert sum(len(places) for places in britney["spans"].values()) == britney["count"]
    texts = {"title": ARTICLES[0].get("title") or "", "body": ARTICLES[0].get("body") or ""}
    for field, places in britney["spans"].items():
        for start, end in places:
            assert texts[field][start:end].casefold() in ("britney spears", "britney", "spears")
    assert rows[1]["mentions"] == []
    third = rows[2]["mentions"][0]
    assert third["artist_id"] == "lady-gaga" and third["first_offset"] is None


def test_tag_stdin_and_custom_watchlist(tmp_path):
    artists = tmp_path / "artists.yml"
    artists.write_text("artists:\n  - name: Madonna\n    case_sensitive: [Madonna]\n")
    rows = [{"id": 1, "title": "Madonna’s tour", "body": "A madonna lily. Madonna sang."}]
    result = run(["--artists", str(artists), "--jsonl", "-"], input=jsonl(rows))
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(m["artist_id"], m["count"]) for m in row["mentions"]] == [("madonna", 2)]


def test_blank_lines_are_skipped():
    result = run(["--jsonl", "-"], input="\n" + jsonl(ARTICLES[1:2]) + "\n  \n")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "in.jsonl:2: not valid JSON"),
        ("[1, 2]", "in.jsonl:2: expected a JSON object, got list"),
        ('{"title": "x", "body": "y"}', 'in.jsonl:2: missing "id"'),
        ('{"id": 1}', 'in.jsonl:2: missing "body"'),
        ('{"id": 1, "body": 5}', 'in.jsonl:2: "body" must be a string or null, got int'),
        ('{"id": 1, "body": "", "title": ["a"]}', '"title" must be a string or null'),
    ],
)
def test_bad_line_is_one_line_error_naming_it(tmp_path, line, message):
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl(ARTICLES[:1]) + line + "\n" + jsonl(ARTICLES[1:]), encoding="utf-8")
    result = run(["--jsonl", str(path)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_not_utf8_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": 1, "body": "ok"}\n{"id": 2, "body": "caf\xe9"}\n')
    result = run(["--jsonl", str(path)])
    assert result.exit_code == 1
    assert "in.jsonl:2: not UTF-8" in result.stderr


def test_bad_watchlist_is_one_line_error(tmp_path):
    artists = tmp_path / "artists.yml"
    artists.write_text("artists:\n  - name: Madonna\n    alias: [Madge]\n")
    result = run(["--artists", str(artists), "--jsonl", "-"], input=jsonl(ARTICLES))
    assert result.exit_code == 1
    assert "artists.yml:3: artist 'Madonna': field 'alias': unknown field" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_input_file(tmp_path):
    result = run(["--jsonl", str(tmp_path / "nope.jsonl")])
    assert result.exit_code != 0
    assert "nope.jsonl" in result.stderr


def test_help_has_an_example():
    result = run(["--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "newscrawl tag" in result.stdout
    assert "--artists" in result.stdout and "--jsonl" in result.stdout


def test_help_names_every_field_of_a_mention():
    """`tag --help` lists the mention fields the output has (it left out `spans`)."""
    output = run(["--jsonl", "-"], input=jsonl(ARTICLES[:1])).output
    fields = json.loads(output.splitlines()[0])["mentions"][0].keys()
    help_text = " ".join(run(["--help"]).output.split())
    assert [field for field in fields if field not in help_text] == []
