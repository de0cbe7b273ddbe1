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
\ir walk_search_paths.sql
DELETE FROM search_path
WHERE collection_id IN (SELECT s.collection_id FROM temp.search_path_scope AS s);
INSERT INTO search_path (collection_id, rank, member_id, member_type, snapshot_of,
                         snapshot_epoch)
SELECT w.collection_id, w.rank, w.member_id, w.member_type, w.snapshot_of, w.snapshot_epoch
FROM temp.search_path_walk AS w;
UPDATE search_path_state SET stale = 0 WHERE id = 1 AND stale = 1;
