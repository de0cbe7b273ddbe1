"""The floors: bare SQL doing the minimum work of each calibcert operation.

A floor works on a table with the same constraint and indexes as ``calib.certification``
but with none of calibcert's logic: no name lookups, no data-ID validation or interning, no
dataset resolution (keys arrive already resolved), no foreign keys, no locks beyond what
the statement itself takes, no error reporting. Each method is one round trip where that
is possible, and uses the fastest bare form we found (set-based statements from arrays,
prepared statements for single calls).

PostgreSQL: ``bench_floor.certification`` is ``LIKE calib.certification INCLUDING ALL``, so
it has exactly the exclusion constraint ``(collection_id =, data_id_key =, validity &&)``,
the primary key, the ``(collection_id, dataset_type_id)`` index, the lookup's btree
(revision 0017) and the CHECKs of the real table, and it follows any change of
``sql/schema/tables.sql``. Its lookups probe that btree as calib.probe does: at 10^6 rows a
probe of the GiST index costs ten times as much (bench/README.md "find_many whatever the
statistics"); at 10^3 rows after ANALYZE a hash join of a 10^4-pair batch was ~10 ms
faster server-side, the only case where the old plain join was the better floor.

SQLite has no exclusion constraint: the floor is one overlap-check query (one probe of the
primary key per new row, against the row that begins last before its end) and the bare
INSERT in primary-key order, inside ``BEGIN IMMEDIATE``, on a table shaped like the SQLite
backend's (WITHOUT ROWID, primary key ``(collection_id, data_id_key, begin_us)``, index
``(collection_id, dataset_type_id, end_us)``, 16-byte ids), without its foreign keys. Times
are integer microseconds; an unbounded side is the smallest / largest 64-bit integer.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone

import psycopg

UNBOUNDED_LOW = -(2**63)
UNBOUNDED_HIGH = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class FloorConflict(Exception):
    """The floor's overlap check found an overlap (the bench never expects one)."""


# -- PostgreSQL ---------------------------------------------------------------------------

_PG_TABLE = "bench_floor.certification"
_PG_COLS = "collection_id, dataset_type_id, data_id_key, dataset_id, validity"
#: A lookup's probe, as calib.probe makes it since revision 0017: the key's certifications
#: beginning at or before the instant, newest first, through the btree
#: certification_lookup_idx (which the table has, being LIKE calib.certification). The
#: GiST index costs ~10x a probe at 10^6 rows. The key compared as bigint, as in
#: calib.probe, so that the planner cannot take the GiST index without statistics.
_PG_BEGIN = "coalesce(lower(c.validity), '-infinity'::timestamptz)"
_PG_PROBE = (f"SELECT c.dataset_id, c.validity FROM {_PG_TABLE} AS c"
             " WHERE c.collection_id = %(c)s::int8 AND c.data_id_key = %(k)s::int8"
             f" AND {_PG_BEGIN} <= %(a)s::timestamptz ORDER BY {_PG_BEGIN} DESC")


class PgFloor:
    """Bare-SQL floor on PostgreSQL (own autocommit connection: one call, one transaction)."""

    backend = "postgresql"

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("CREATE SCHEMA IF NOT EXISTS bench_floor")
        self.conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_PG_TABLE} (LIKE calib.certification INCLUDING ALL)"
        )
        self.conn.execute("CREATE TABLE IF NOT EXISTS bench_floor.collection"
                          " (collection_id int PRIMARY KEY)")

    def close(self) -> None:
        self.conn.close()

    def analyze(self) -> None:
        self.conn.execute(f"ANALYZE {_PG_TABLE}")

    def analyze_all(self, reg: object) -> None:
        """Statistics for every table of the database, calibcert's and the floor's."""
        self.conn.execute("ANALYZE")

    def no_autovacuum(self) -> None:
        """Autovacuum off for calibcert's and the floor's tables: statistics appear only
        when the benchmark runs ANALYZE (the state right after a bulk load)."""
        for (table,) in self.conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                " WHERE schemaname IN ('calib', 'bench_floor')").fetchall():
            self.conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")

    def bulk(self, coll: int, type_id: int, keys: Sequence[int], ids: Sequence[uuid.UUID],
             begin: datetime | None, end: datetime | None) -> None:
        self.conn.execute(
            f"INSERT INTO {_PG_TABLE} ({_PG_COLS})"
            " SELECT %(c)s::int, %(t)s::int, u.k, u.id,"
            " tstzrange(%(b)s::timestamptz, %(e)s::timestamptz, '[)')"
            " FROM unnest(%(k)s::int[], %(i)s::uuid[]) AS u(k, id)",
            {"c": coll, "t": type_id, "k": list(keys), "i": list(ids), "b": begin, "e": end},
        )

    def one(self, coll: int, type_id: int, key: int, ds: uuid.UUID,
            begin: datetime | None, end: datetime | None) -> None:
        # One bare prepared statement per round trip, its own transaction (autocommit).
        self.conn.execute(
            f"INSERT INTO {_PG_TABLE} ({_PG_COLS}) VALUES (%s::int, %s::int, %s::int, %s::uuid,"
            " tstzrange(%s::timestamptz, %s::timestamptz, '[)'))",
            (coll, type_id, key, ds, begin, end), prepare=True,
        )

    def series(self, coll: int, type_id: int, keys: Sequence[int], ids: Sequence[uuid.UUID],
               begins: Sequence[datetime | None]) -> None:
        self.conn.execute(
            f"INSERT INTO {_PG_TABLE} ({_PG_COLS})"
            " SELECT %(c)s::int, %(t)s::int, u.k, u.id,"
            " tstzrange(u.b, lead(u.b) OVER (PARTITION BY u.k ORDER BY u.b NULLS FIRST), '[)')"
            " FROM unnest(%(k)s::int[], %(i)s::uuid[], %(b)s::timestamptz[]) AS u(k, id, b)",
            {"c": coll, "t": type_id, "k": list(keys), "i": list(ids), "b": list(begins)},
        )

    def decertify(self, coll: int, type_id: int, begin: datetime, end: datetime) -> int:
        row = self.conn.execute(
            f"WITH span AS (SELECT tstzrange(%(b)s::timestamptz, %(e)s::timestamptz, '[)') AS s),"
            f" hit AS (DELETE FROM {_PG_TABLE} AS c USING span"
            "   WHERE c.collection_id = %(c)s::int AND c.dataset_type_id = %(t)s::int"
            "     AND c.validity && span.s"
            "   RETURNING c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id,"
            "             c.validity),"
            f" pieces AS (INSERT INTO {_PG_TABLE} ({_PG_COLS})"
            "   SELECT hit.collection_id, hit.dataset_type_id, hit.data_id_key, hit.dataset_id, p"
            "   FROM hit, span, unnest(tstzmultirange(hit.validity) - tstzmultirange(span.s)) AS p)"
            " SELECT count(*) FROM hit",
            {"c": coll, "t": type_id, "b": begin, "e": end},
        ).fetchone()
        return row[0]

    def close_open(self, coll: int, type_id: int, end: datetime) -> int:
        cur = self.conn.execute(
            f"UPDATE {_PG_TABLE} AS c SET validity = tstzrange(lower(c.validity),"
            " %(e)s::timestamptz, '[)')"
            " WHERE c.collection_id = %(c)s::int AND c.dataset_type_id = %(t)s::int"
            "   AND c.validity && tstzrange(%(e)s::timestamptz, NULL, '[)')"
            "   AND upper_inf(c.validity)",
            {"c": coll, "t": type_id, "e": end},
        )
        return cur.rowcount

    def copy(self, src: int, dst: int) -> int:
        # copy_collection creates its destination: the floor inserts a collection row too
        # (the same statement: one round trip).
        cur = self.conn.execute(
            "WITH dst AS (INSERT INTO bench_floor.collection (collection_id) VALUES"
            " (%(d)s::int) RETURNING collection_id)"
            f" INSERT INTO {_PG_TABLE} ({_PG_COLS})"
            " SELECT dst.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id,"
            f" c.validity FROM dst, {_PG_TABLE} AS c WHERE c.collection_id = %(s)s::int",
            {"s": src, "d": dst},
        )
        return cur.rowcount

    def find(self, coll: int, key: int, at: datetime) -> uuid.UUID | None:
        # Newest begin first (_PG_PROBE): the first row is the only one that can hold the
        # instant (a key's rows never overlap); LIMIT 2 reads one more, as calib.probe reads
        # past it to tell an ambiguous answer from a unique one.
        rows = self.conn.execute(
            f"SELECT c.dataset_id FROM ({_PG_PROBE} LIMIT 2) AS c"
            " WHERE c.validity @> %(a)s::timestamptz",
            {"c": coll, "k": key, "a": at}, prepare=True,
        ).fetchall()
        return rows[0][0] if rows else None

    def find_many(self, coll: int, keys: Sequence[int],
                  ats: Sequence[datetime]) -> list[uuid.UUID | None]:
        rows = self.conn.execute(
            "SELECT u.ord, c.dataset_id"
            " FROM unnest(%(k)s::int[], %(a)s::timestamptz[]) WITH ORDINALITY AS u(k, t, ord)"
            f" LEFT JOIN LATERAL ({_PG_PROBE.replace('%(k)s', 'u.k').replace('%(a)s', 'u.t')}"
            "   LIMIT 1) AS c ON c.validity @> u.t"
            " ORDER BY u.ord",
            {"c": coll, "k": list(keys), "a": list(ats)}, prepare=False,
        ).fetchall()
        return [r[1] for r in rows]


# -- SQLite -------------------------------------------------------------------------------

_SQ_TABLE = "bench_floor_certification"

# The shape of the SQLite backend's certification table (its migration), less the foreign
# keys: clustered on (collection, data-ID key, begin), one index for "rows of a type that
# end after t", ids as 16-byte blobs, times as integer microseconds.
_SQ_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {_SQ_TABLE} (
    collection_id    INTEGER NOT NULL,
    dataset_type_id  INTEGER NOT NULL,
    data_id_key      INTEGER NOT NULL,
    dataset_id       BLOB NOT NULL,
    begin_us         INTEGER NOT NULL,
    end_us           INTEGER NOT NULL,
    PRIMARY KEY (collection_id, data_id_key, begin_us),
    CHECK (begin_us < end_us)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bench_floor_collection (collection_id INTEGER PRIMARY KEY);
CREATE INDEX IF NOT EXISTS {_SQ_TABLE}_type_end_idx
    ON {_SQ_TABLE} (collection_id, dataset_type_id, end_us);
"""

# Stored rows never overlap, so the only stored row that can overlap a new item is the one
# that begins last before the item's end: one probe of the primary key per item, staged in
# a temporary table (k, b, e). Overlaps between the new items themselves are checked on the
# sorted batch in Python (adjacent items of one key).
_SQ_STAGE = "CREATE TEMP TABLE IF NOT EXISTS bench_floor_new (k INTEGER, b INTEGER, e INTEGER)"
_SQ_OVERLAP = f"""
SELECT 1 FROM bench_floor_new AS n
WHERE (SELECT o.end_us FROM {_SQ_TABLE} AS o
       WHERE o.collection_id = :c AND o.data_id_key = n.k AND o.begin_us < n.e
       ORDER BY o.begin_us DESC LIMIT 1) > n.b
LIMIT 1
"""


def micros(t: datetime | None, unbounded: int) -> int:
    if t is None:
        return unbounded
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class SqliteFloor:
    """Bare-SQL floor on SQLite (own connection to the same file, explicit transactions)."""

    backend = "sqlite"

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.executescript(_SQ_SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def analyze_all(self, reg: object) -> None:
        """sqlite_stat1 for the whole file, written through the client's own connection so
        that its next statements are planned with it."""
        reg.connection.execute("ANALYZE")  # type: ignore[attr-defined]

    def no_autovacuum(self) -> None:
        """Nothing to do: SQLite writes statistics only when asked (ANALYZE)."""

    def analyze(self) -> None:
        self.conn.execute("ANALYZE")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _insert_checked(self, coll: int, type_id: int, rows: list[tuple[int, bytes, int, int]]
                        ) -> None:
        # rows: (key, dataset id, begin, end), inserted in primary-key order.
        rows.sort(key=lambda r: (r[0], r[2]))
        for prev, cur in zip(rows, rows[1:], strict=False):
            if prev[0] == cur[0] and prev[3] > cur[2]:
                raise FloorConflict("overlap within the batch")
        with self._write() as c:
            c.execute(_SQ_STAGE)
            c.execute("DELETE FROM bench_floor_new")
            c.executemany("INSERT INTO bench_floor_new (k, b, e) VALUES (?, ?, ?)",
                          [(k, b, e) for k, _, b, e in rows])
            if c.execute(_SQ_OVERLAP, {"c": coll}).fetchone():
                raise FloorConflict("overlap")
            c.executemany(
                f"INSERT INTO {_SQ_TABLE} (collection_id, dataset_type_id, data_id_key,"
                " dataset_id, begin_us, end_us) VALUES (?, ?, ?, ?, ?, ?)",
                [(coll, type_id, k, i, b, e) for k, i, b, e in rows])

    def bulk(self, coll: int, type_id: int, keys: Sequence[int], ids: Sequence[uuid.UUID],
             begin: datetime | None, end: datetime | None) -> None:
        b, e = micros(begin, UNBOUNDED_LOW), micros(end, UNBOUNDED_HIGH)
        self._insert_checked(coll, type_id,
                             [(k, i.bytes, b, e) for k, i in zip(keys, ids, strict=True)])

    def one(self, coll: int, type_id: int, key: int, ds: uuid.UUID,
            begin: datetime | None, end: datetime | None) -> None:
        b, e = micros(begin, UNBOUNDED_LOW), micros(end, UNBOUNDED_HIGH)
        with self._write() as c:
            if c.execute(
                f"SELECT end_us > :b FROM {_SQ_TABLE} WHERE collection_id = :c"
                " AND data_id_key = :k AND begin_us < :e ORDER BY begin_us DESC LIMIT 1",
                {"c": coll, "k": key, "b": b, "e": e},
            ).fetchone() == (1,):
                raise FloorConflict("overlap")
            c.execute(f"INSERT INTO {_SQ_TABLE} (collection_id, dataset_type_id, data_id_key,"
                      " dataset_id, begin_us, end_us) VALUES (?, ?, ?, ?, ?, ?)",
                      (coll, type_id, key, ds.bytes, b, e))

    def series(self, coll: int, type_id: int, keys: Sequence[int], ids: Sequence[uuid.UUID],
               begins: Sequence[datetime | None]) -> None:
        # The ends are the next begin of the same key: one sort of the items.
        order = sorted(range(len(keys)),
                       key=lambda n: (keys[n], micros(begins[n], UNBOUNDED_LOW)))
        rows: list[tuple[int, bytes, int, int]] = []
        for pos, n in enumerate(order):
            nxt = order[pos + 1] if pos + 1 < len(order) else None
            end = (micros(begins[nxt], UNBOUNDED_LOW)
                   if nxt is not None and keys[nxt] == keys[n] else UNBOUNDED_HIGH)
            rows.append((keys[n], ids[n].bytes, micros(begins[n], UNBOUNDED_LOW), end))
        self._insert_checked(coll, type_id, rows)

    def decertify(self, coll: int, type_id: int, begin: datetime, end: datetime) -> int:
        p = {"c": coll, "t": type_id, "b": micros(begin, UNBOUNDED_LOW),
             "e": micros(end, UNBOUNDED_HIGH)}
        hit = (f"FROM {_SQ_TABLE} WHERE collection_id = :c AND dataset_type_id = :t"
               " AND end_us > :b AND begin_us < :e")
        with self._write() as c:
            n = c.execute(f"SELECT count(*) {hit}", p).fetchone()[0]
            # right pieces [e, end), then left pieces [begin, b) in place, then the rest
            c.execute(f"INSERT INTO {_SQ_TABLE} (collection_id, dataset_type_id, data_id_key,"
                      " dataset_id, begin_us, end_us) SELECT collection_id, dataset_type_id,"
                      f" data_id_key, dataset_id, :e, end_us {hit} AND end_us > :e", p)
            c.execute(f"UPDATE {_SQ_TABLE} SET end_us = :b WHERE collection_id = :c"
                      " AND dataset_type_id = :t AND end_us > :b AND begin_us < :b", p)
            c.execute(f"DELETE FROM {_SQ_TABLE} WHERE collection_id = :c"
                      " AND dataset_type_id = :t AND end_us > :b"
                      " AND begin_us >= :b AND begin_us < :e", p)
        return n

    def close_open(self, coll: int, type_id: int, end: datetime) -> int:
        p = {"c": coll, "t": type_id, "e": micros(end, UNBOUNDED_HIGH), "high": UNBOUNDED_HIGH}
        where = "collection_id = :c AND dataset_type_id = :t AND end_us = :high"
        with self._write() as c:
            if c.execute(f"SELECT 1 FROM {_SQ_TABLE} WHERE {where} AND begin_us >= :e LIMIT 1",
                         p).fetchone():
                raise FloorConflict("begins after end")
            return c.execute(f"UPDATE {_SQ_TABLE} SET end_us = :e WHERE {where}", p).rowcount

    def copy(self, src: int, dst: int) -> int:
        with self._write() as c:
            # copy_collection creates its destination: a collection row here too
            c.execute("INSERT INTO bench_floor_collection (collection_id) VALUES (?)", (dst,))
            return c.execute(
                f"INSERT INTO {_SQ_TABLE} (collection_id, dataset_type_id, data_id_key,"
                " dataset_id, begin_us, end_us) SELECT :d, dataset_type_id, data_id_key,"
                f" dataset_id, begin_us, end_us FROM {_SQ_TABLE} WHERE collection_id = :s",
                {"s": src, "d": dst}).rowcount

    def find(self, coll: int, key: int, at: datetime) -> uuid.UUID | None:
        # Stored rows never overlap: the only candidate is the last one beginning at or
        # before `at`, found by one probe of the primary key.
        t = micros(at, 0)
        row = self.conn.execute(
            f"SELECT dataset_id, end_us FROM {_SQ_TABLE} WHERE collection_id = ?"
            " AND data_id_key = ? AND begin_us <= ? ORDER BY begin_us DESC LIMIT 1",
            (coll, key, t)).fetchone()
        return uuid.UUID(bytes=row[0]) if row and row[1] > t else None

    def find_many(self, coll: int, keys: Sequence[int],
                  ats: Sequence[datetime]) -> list[uuid.UUID | None]:
        rows = self.conn.execute(
            "SELECT (SELECT CASE WHEN o.end_us > q.value ->> 1 THEN o.dataset_id END"
            f"        FROM {_SQ_TABLE} AS o WHERE o.collection_id = :c"
            "          AND o.data_id_key = q.value ->> 0 AND o.begin_us <= q.value ->> 1"
            "        ORDER BY o.begin_us DESC LIMIT 1)"
            " FROM json_each(:q) AS q ORDER BY q.key",
            {"c": coll,
             "q": json.dumps([[k, micros(a, 0)] for k, a in zip(keys, ats, strict=True)])},
        ).fetchall()
        return [None if r[0] is None else uuid.UUID(bytes=r[0]) for r in rows]
