"""The ``co_mention_pairs`` table behind the ``co_mentions`` view (schema step m016).

``co_mentions`` lists the pairs of watched artists mentioned in the same article. It was
a view joining ``mentions`` with itself, so every page of it in Datasette computed every
pair: at 1,000,000 articles (1.9 million mentions, 1.2 million pairs) the first page took
~1 s to sort the pairs by joint salience, its row count ~1 s more, and both default
facets (artist_a, artist_b) ran past the facet time limit: 3 s for a page with its facets
missing (docs/benchmarks.md, "Ninth round"). The pairs are now kept in this table by
triggers on ``mentions``, as ``co_mention_counts`` keeps their counts, and the view reads
it, so its columns and its meaning stay what they were (artist_a sorts before artist_b,
joint_salience is the lower of the two saliences).

The indexes serve what the view's page asks: the default order (joint salience, highest
first), one artist on either side in that order, counting the other side of one artist
(the facets, "who else"), and one pair of artists in that order (the articles_about_both
canned query). The table has no rowid: every index then also holds the
key (article, artist_a, artist_b), so counting and facets read no table rows.
"""

from __future__ import annotations

from typing import Any

TABLE = "co_mention_pairs"

CREATE_TABLE = f"""
create table {TABLE} (
  article_id integer not null,
  artist_a text not null,
  artist_b text not null,
  salience_a real,
  salience_b real,
  joint_salience real,
  primary key (article_id, artist_a, artist_b)
) without rowid
"""

INDEXES = (
    f"create index {TABLE}_joint on {TABLE} (joint_salience)",
    f"create index {TABLE}_a_joint on {TABLE} (artist_a, joint_salience)",
    f"create index {TABLE}_b_joint on {TABLE} (artist_b, joint_salience)",
    f"create index {TABLE}_a_b on {TABLE} (artist_a, artist_b, joint_salience)",
    f"create index {TABLE}_b_a on {TABLE} (artist_b, artist_a)",
)

# The view keeps its name and columns; it reads the table.
VIEW_SQL = f"""
select
  article_id,
  artist_a,
  artist_b,
  salience_a,
  salience_b,
  joint_salience
from {TABLE}
"""

# The pairs an article gains with mention ``new``: one per other mention of the article,
# the artist that sorts first as artist_a (binary order, as the view's ``<`` compared).
# min() of two saliences is NULL when either is, as in the view.
_ADD = f"""
      insert into {TABLE}
        (article_id, artist_a, artist_b, salience_a, salience_b, joint_salience)
        select new.article_id,
          case when new.artist_id < m.artist_id then new.artist_id else m.artist_id end,
          case when new.artist_id < m.artist_id then m.artist_id else new.artist_id end,
          case when new.artist_id < m.artist_id then new.salience else m.salience end,
          case when new.artist_id < m.artist_id then m.salience else new.salience end,
          min(new.salience, m.salience)
        from mentions m
        where m.article_id = new.article_id and m.artist_id != new.artist_id
        -- idempotent: a pair left by an edit made with the triggers off is refreshed
        on conflict (article_id, artist_a, artist_b) do update set
          salience_a = excluded.salience_a,
          salience_b = excluded.salience_b,
          joint_salience = excluded.joint_salience;
"""
# The pairs an article loses with mention ``old``.
_REMOVE = f"""
      delete from {TABLE}
        where article_id = old.article_id
          and (artist_a = old.artist_id or artist_b = old.artist_id);
"""
TRIGGERS = (
    f"create trigger mentions_co_pairs_ai after insert on mentions begin {_ADD} end",
    f"create trigger mentions_co_pairs_ad after delete on mentions begin {_REMOVE} end",
    # The store upserts a mention on its key, so a refetch that changes an artist's
    # salience updates the row: the pairs follow.
    f"""
    create trigger mentions_co_pairs_salience after update of salience on mentions
    when old.salience is not new.salience
      and old.article_id is new.article_id and old.artist_id is new.artist_id
    begin
      update {TABLE} set
          salience_a = new.salience,
          joint_salience = min(new.salience, salience_b)
        where article_id = new.article_id and artist_a = new.artist_id;
      update {TABLE} set
          salience_b = new.salience,
          joint_salience = min(salience_a, new.salience)
        where article_id = new.article_id and artist_b = new.artist_id;
    end
    """,
    # A direct edit of a mention's key (the store never makes one) moves its pairs.
    f"""
    create trigger mentions_co_pairs_key after update of article_id, artist_id on mentions
    when old.article_id is not new.article_id or old.artist_id is not new.artist_id
    begin {_REMOVE} {_ADD} end
    """,
)


def refresh(conn: Any) -> None:
    """Recompute the table from ``mentions`` (a bulk load that bypassed the triggers, or
    a repair): the rows the view used to compute."""
    conn.execute(f"delete from {TABLE}")
    conn.execute(
        f"""
        insert into {TABLE}
          (article_id, artist_a, artist_b, salience_a, salience_b, joint_salience)
        select a.article_id, a.artist_id, b.artist_id, a.salience, b.salience,
               min(a.salience, b.salience)
        from mentions a
        join mentions b on a.article_id = b.article_id and a.artist_id < b.artist_id
        """
    )


def create(db: Any) -> None:
    """The table, its indexes and triggers, filled from ``mentions``; the view rebuilt
    over it."""
    db.execute(CREATE_TABLE)
    refresh(db.conn)
    # Indexes after the fill: one sort each instead of a b-tree insert per row.
    for index in INDEXES:
        db.execute(index)
    for trigger in TRIGGERS:
        db.execute(trigger)
    db.execute("drop view if exists co_mentions")
    db.execute(f"create view co_mentions as {VIEW_SQL}")
