"""bench/tag.py runs and reports its figures (speed itself is never asserted here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from newscrawl.artists import Watchlist

BENCH = Path(__file__).resolve().parents[1] / "bench" / "tag.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_tag", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_quick_small_sizes(capsys):
    bench = load_bench()
    result = bench.main(["--quick", "--sizes", "10,200", "--articles", "20"])
    assert [run["artists"] for run in result["runs"]] == [10, 200]
    for run in result["runs"]:
        assert run["articles_per_s"] > 0 and run["build_s"] >= 0 and run["mentions"] > 0
    assert result["cost_ratio"] > 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("tag: per-article cost 200 vs 10 artists")


def test_bench_inputs_are_deterministic_and_valid():
    bench = load_bench()
    pool = bench.synthetic_artists(300, taken=set())
    assert pool == bench.synthetic_artists(300, taken=set())
    assert len(Watchlist.from_dicts(pool)) == 300
    names = [a["name"] for a in pool]
    articles = bench.build_articles(5, ["Britney Spears"], names)
    assert articles == bench.build_articles(5, ["Britney Spears"], names)
