CREATE OR REPLACE FUNCTION calib._search_path_as_of(p_collection_id integer, p_epoch bigint)
RETURNS TABLE (rank bigint, member_id integer, member_type text, member_name text)
LANGUAGE plpgsql STABLE
ROWS 5
SET search_path = pg_catalog, pg_temp
AS $$
/* The search path of collection p_collection_id as it was at epoch p_epoch: the walk of
   calib._refresh_search_paths (non-CHAINED members depth-first in chain order, each once
   at its first occurrence, ranked 1..n; any other collection is its own path) over the
   collections and chain children visible then (calib.collection_version,
   calib.chain_version). Walked on each call rather than stored: past paths are read
   rarely, and a stored copy per epoch would grow with every chain change. A stored chain
   graph never has a cycle (set_chain and the search-path triggers refuse them); CYCLE
   only guarantees the walk ends. tests/test_pg_history.py checks it against the stored
   path at the current epoch. Each step probes the versions of the collections it reaches
   (indexes on parent_id and collection_id), never every version: the cost follows the
   size of the path, not of the database. PL/pgSQL so that the plan is made once per
   session (a SQL function's body is planned again on every call). ROWS 5: search paths
   are short; the default estimate of 1000 rows made the as-of lookup's plan look costly
   enough for JIT compilation (20 ms per call). */
BEGIN
RETURN QUERY
WITH RECURSIVE walk (collection_id, path) AS (
    SELECT p_collection_id, ARRAY[]::integer[]
    UNION ALL
    SELECT ch.child_id, w.path || ch.position
    FROM walk AS w
    CROSS JOIN LATERAL (SELECT v.position, v.child_id FROM calib.chain_version AS v
                        WHERE v.parent_id = w.collection_id
                          AND calib._visible(v.created_change, v.removed_change, p_epoch)) AS ch
) CYCLE collection_id SET looped USING visited
SELECT row_number() OVER (ORDER BY f.path), c.collection_id, c.type, c.name
FROM (SELECT DISTINCT ON (w.collection_id) w.collection_id, w.path
      FROM walk AS w WHERE NOT w.looped
      ORDER BY w.collection_id, w.path) AS f
CROSS JOIN LATERAL (SELECT v.collection_id, v.type, v.name FROM calib.collection_version AS v
                    WHERE v.collection_id = f.collection_id
                      AND calib._visible(v.created_change, v.removed_change, p_epoch)) AS c
WHERE c.type <> 'CHAINED';
END
$$;
