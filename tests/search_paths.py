"""The stored search path (``calib.search_path``) against the recursive walk it replaced.

``WALK`` is the query ``calib._flatten`` ran before the path was stored (revision 0001),
written for every collection at once: a collection is its own search path unless it is
CHAINED; a chain's is its non-CHAINED members depth-first in chain order, each collection once
at its first occurrence. Tests compare it with the table after every kind of write.
"""

from __future__ import annotations

from typing import Any

import psycopg

WALK = """
WITH RECURSIVE walk (root_id, collection_id, path) AS (
    SELECT c.collection_id, c.collection_id, ARRAY[]::integer[] FROM calib.collection AS c
    UNION ALL
    SELECT w.root_id, ch.child_id, w.path || ch.position
    FROM walk AS w JOIN calib.collection_chain AS ch ON ch.parent_id = w.collection_id
    WHERE cardinality(w.path) < 100
), firsts AS (
    SELECT DISTINCT ON (w.root_id, w.collection_id) w.root_id, w.collection_id, w.path
    FROM walk AS w ORDER BY w.root_id, w.collection_id, w.path
)
SELECT r.name, row_number() OVER (PARTITION BY f.root_id ORDER BY f.path)::integer,
       c.name, c.type
FROM firsts AS f
JOIN calib.collection AS c ON c.collection_id = f.collection_id
JOIN calib.collection AS r ON r.collection_id = f.root_id
WHERE c.type <> 'CHAINED'
ORDER BY 1, 2
"""

STORED = """
SELECT r.name, sp.rank, c.name, sp.member_type
FROM calib.search_path AS sp
JOIN calib.collection AS r ON r.collection_id = sp.collection_id
JOIN calib.collection AS c ON c.collection_id = sp.member_id
ORDER BY 1, 2
"""


def walked(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    """(collection, rank, member, member type) for every collection, by the recursive walk."""
    return conn.execute(WALK).fetchall()


def stored(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    """The same rows as read from calib.search_path."""
    return conn.execute(STORED).fetchall()


def path_of(conn: psycopg.Connection, collection: str) -> list[str]:
    """The stored search path of one collection: member names in rank order."""
    return [row[2] for row in stored(conn) if row[0] == collection]


def assert_paths_match(conn: psycopg.Connection) -> None:
    expected, got = walked(conn), stored(conn)
    assert got == expected, f"stored search paths differ from the walk:\n{got}\n!=\n{expected}"
