-- The chain walk, the one place it lives on SQLite (the twin of the walk in
-- sql/functions/_refresh_search_paths.sql): the search path of every collection in temp
-- table search_path_scope into temp table search_path_walk. A CHAINED collection gets its
-- non-CHAINED members depth-first in chain order, chains expanded, each collection once at
-- its first occurrence, ranked 1..n; any other collection gets itself (rank 1). A snapshot
-- (revision 0015) is a member with its source and epoch, a snapshot of a chain included
-- (it has no chain rows of its own: lookups walk its source as of the epoch). Fixed-width
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
    snapshot_of    INTEGER,
    snapshot_epoch INTEGER,
    PRIMARY KEY (collection_id, rank)
);
DELETE FROM temp.search_path_walk;
INSERT INTO temp.search_path_walk (collection_id, rank, member_id, member_type, snapshot_of,
                                   snapshot_epoch)
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
       c.collection_id, c.type, s.source_id, s.epoch
FROM firsts AS f JOIN collection AS c ON c.collection_id = f.collection_id
LEFT JOIN snapshot AS s ON s.collection_id = c.collection_id
WHERE c.type <> 'CHAINED' OR s.collection_id IS NOT NULL;
