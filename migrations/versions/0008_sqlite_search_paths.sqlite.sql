-- FROZEN upgrade of revision 0008, written by migrations/freeze.py from sources/0008_sqlite_search_paths.sqlite.sql.
-- Never edit by hand.
-- Revision 0008 (0007 -> 0008) on SQLite: the source that migrations/freeze.py expands into
-- versions/0008_sqlite_search_paths.sqlite.sql. Chains use stored search paths, as on
-- PostgreSQL since revision 0002 (sql/sqlite/schema/search_path.sql); the paths of the
-- collections already in the file are computed here by the same statements the backend runs
-- after a chain change. PostgreSQL: no change.
-- The search path of every collection, stored (revision 0008): the SQLite twin of
-- sql/schema/search_path.sql, same table, same meaning. A RUN, TAGGED or CALIBRATION
-- collection is its own path (one row); a CHAINED collection has its non-CHAINED members
-- depth-first in chain order, chains expanded, each collection once at its first
-- occurrence, ranked 1..n (no rows for an empty chain). A lookup reads a path with one
-- index scan instead of walking the chain graph.
--
-- Differs by necessity: SQLite refuses a WITH RECURSIVE inside a trigger, so no trigger can
-- walk the chains. The triggers below keep what needs no walk (a new collection's own row,
-- a removed collection's rows) and mark the stored paths stale on every chain change; the
-- backend recomputes them, in the same serialized transaction, with
-- sql/sqlite/functions/refresh_search_paths.sql (the one place the walk lives, as
-- calib._refresh_search_paths on PostgreSQL) and clears the mark. A raw writer of
-- collection_chain (a DBA script through plain sqlite3) leaves the mark set: lookups then
-- walk the chains themselves, with the same statement, until the backend's next chain
-- change refreshes every path. So a stale path is never read. Never write these tables
-- directly.
CREATE TABLE search_path (
    collection_id INTEGER NOT NULL,
    rank          INTEGER NOT NULL,
    member_id     INTEGER NOT NULL,
    member_type   TEXT NOT NULL,
    CONSTRAINT search_path_pkey PRIMARY KEY (collection_id, rank),
    CONSTRAINT search_path_member_key UNIQUE (member_id, collection_id),
    CONSTRAINT search_path_rank_check CHECK (rank > 0),
    CONSTRAINT search_path_member_type_check
        CHECK (member_type IN ('RUN', 'TAGGED', 'CALIBRATION')),
    CONSTRAINT search_path_collection_fkey FOREIGN KEY (collection_id)
        REFERENCES collection (collection_id) ON DELETE CASCADE,
    CONSTRAINT search_path_member_fkey FOREIGN KEY (member_id, member_type)
        REFERENCES collection (collection_id, type) ON UPDATE CASCADE ON DELETE CASCADE
) WITHOUT ROWID;

-- One row: stale = 1 while some chain changed after the stored paths were computed.
CREATE TABLE search_path_state (
    id    INTEGER NOT NULL,
    stale INTEGER NOT NULL,
    CONSTRAINT search_path_state_pkey PRIMARY KEY (id),
    CONSTRAINT search_path_state_one_row_check CHECK (id = 1),
    CONSTRAINT search_path_state_stale_check CHECK (stale IN (0, 1))
);
INSERT INTO search_path_state (id, stale) VALUES (1, 0);

-- A new collection: its own row (a new chain is empty: no rows). Nobody lists it yet.
CREATE TRIGGER collection_search_path_insert AFTER INSERT ON collection
WHEN NEW.type <> 'CHAINED'
BEGIN
    INSERT INTO search_path (collection_id, rank, member_id, member_type)
    VALUES (NEW.collection_id, 1, NEW.collection_id, NEW.type);
END;
-- A removed collection: its rows, whatever PRAGMA foreign_keys says (a chain cannot list
-- it: collection_chain_child_fkey).
CREATE TRIGGER collection_search_path_delete AFTER DELETE ON collection
BEGIN
    DELETE FROM search_path
    WHERE collection_id = OLD.collection_id OR member_id = OLD.collection_id;
END;
-- A collection changing id or type (raw SQL only: no operation does that): every path that
-- names it is recomputed.
CREATE TRIGGER collection_search_path_update AFTER UPDATE OF collection_id, type ON collection
BEGIN
    UPDATE search_path_state SET stale = 1 WHERE id = 1 AND stale = 0;
END;
CREATE TRIGGER collection_chain_search_path_insert AFTER INSERT ON collection_chain
BEGIN
    UPDATE search_path_state SET stale = 1 WHERE id = 1 AND stale = 0;
END;
CREATE TRIGGER collection_chain_search_path_update AFTER UPDATE ON collection_chain
BEGIN
    UPDATE search_path_state SET stale = 1 WHERE id = 1 AND stale = 0;
END;
CREATE TRIGGER collection_chain_search_path_delete AFTER DELETE ON collection_chain
BEGIN
    UPDATE search_path_state SET stale = 1 WHERE id = 1 AND stale = 0;
END;

CREATE TEMP TABLE IF NOT EXISTS search_path_roots (collection_id INTEGER PRIMARY KEY);
DELETE FROM temp.search_path_roots;
INSERT INTO temp.search_path_roots (collection_id) SELECT collection_id FROM collection;
-- Recompute search_path for the collections in temp table search_path_roots and for every
-- chain above them, from the chains as they are now, and clear search_path_state's stale
-- mark: the SQLite twin of calib._refresh_search_paths
-- (sql/functions/_refresh_search_paths.sql). Run by the backend after each chain change, in
-- the same serialized transaction (search_path_roots: the chains it changed; every
-- collection when the mark was already set before its change, by a raw writer), and by
-- revision 0008 for the first fill (every collection).
-- Differs by necessity: statements, not a function (SQLite has none).
CREATE TEMP TABLE IF NOT EXISTS search_path_roots (collection_id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS search_path_scope (collection_id INTEGER PRIMARY KEY);
DELETE FROM temp.search_path_scope;
-- The given collections and every chain above them (UNION: ends even on a cycle).
INSERT INTO temp.search_path_scope (collection_id)
WITH RECURSIVE up (collection_id) AS (
    SELECT r.collection_id FROM temp.search_path_roots AS r
    UNION
    SELECT ch.parent_id FROM up JOIN collection_chain AS ch ON ch.child_id = up.collection_id
)
SELECT up.collection_id FROM up;
-- The chain walk, the one place it lives on SQLite (the twin of the walk in
-- sql/functions/_refresh_search_paths.sql): the search path of every collection in temp
-- table search_path_scope into temp table search_path_walk. A CHAINED collection gets its
-- non-CHAINED members depth-first in chain order, chains expanded, each collection once at
-- its first occurrence, ranked 1..n; any other collection gets itself (rank 1). Fixed-width
-- position paths sort lexicographically in exactly depth-first chain order.
-- Used by refresh_search_paths.sql (which stores the result) and by lookups while the
-- stored paths are marked stale (a raw writer changed a chain). Temp tables only: it runs
-- in read transactions too, without taking the file's write lock.
-- Differs by necessity: a cycle (only a raw writer can store one: set_chain refuses them) is
-- not followed past 100 levels of nesting instead of raising KC004.
CREATE TEMP TABLE IF NOT EXISTS search_path_scope (collection_id INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS search_path_walk (
    collection_id INTEGER NOT NULL,
    rank          INTEGER NOT NULL,
    member_id     INTEGER NOT NULL,
    member_type   TEXT NOT NULL,
    PRIMARY KEY (collection_id, rank)
);
DELETE FROM temp.search_path_walk;
INSERT INTO temp.search_path_walk (collection_id, rank, member_id, member_type)
WITH RECURSIVE walk (root_id, collection_id, path, depth) AS (
    SELECT c.collection_id, c.collection_id, '', 0
    FROM collection AS c
    WHERE c.collection_id IN (SELECT s.collection_id FROM temp.search_path_scope AS s)
    UNION ALL
    SELECT w.root_id, ch.child_id, w.path || printf('%010d', ch.position), w.depth + 1
    FROM walk AS w JOIN collection_chain AS ch ON ch.parent_id = w.collection_id
    WHERE w.depth < 100
), firsts (root_id, collection_id, path) AS (
    SELECT w.root_id, w.collection_id, min(w.path) FROM walk AS w
    GROUP BY w.root_id, w.collection_id
)
SELECT f.root_id, row_number() OVER (PARTITION BY f.root_id ORDER BY f.path),
       c.collection_id, c.type
FROM firsts AS f JOIN collection AS c ON c.collection_id = f.collection_id
WHERE c.type <> 'CHAINED';

DELETE FROM search_path
WHERE collection_id IN (SELECT s.collection_id FROM temp.search_path_scope AS s);
INSERT INTO search_path (collection_id, rank, member_id, member_type)
SELECT w.collection_id, w.rank, w.member_id, w.member_type FROM temp.search_path_walk AS w;
UPDATE search_path_state SET stale = 0 WHERE id = 1 AND stale = 1;

DROP TABLE temp.search_path_roots;
DROP TABLE temp.search_path_scope;
DROP TABLE temp.search_path_walk;
