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
