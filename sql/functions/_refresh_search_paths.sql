CREATE OR REPLACE FUNCTION calib._refresh_search_paths(p_collection_ids integer[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* Recompute calib.search_path for the collections p_collection_ids and for every chain
   above them (walked up through collection_chain.child_id), from the chains as they are
   now. The one place where the chain walk lives: a CHAINED collection gets its non-CHAINED
   members depth-first in chain order (position paths sort lexicographically in exactly that
   order), chains expanded, each collection once at its first occurrence, ranked 1..n; any
   other collection gets itself (rank 1); an id without a collection gets nothing. A
   snapshot (calib.snapshot, revision 0014), CHAINED or not, is one member with its source
   and epoch (it has no chain rows to walk): calib.probe reads it as of that epoch. A path
   changes only if some chain at or below it changed, so the triggers on collection_chain
   pass the parents a statement changed. Call it with every collection id for an initial
   fill.
   Errors: KC004 when the chains reachable from p_collection_ids contain a cycle (only a raw
   writer can store one: set_chain refuses cycles before writing); 40001 when the caller's
   snapshot predates another chain change (REPEATABLE READ / SERIALIZABLE: see
   calib.search_path_generation); 55P03 when the chain lock is not granted in time.
   Locks: calib._lock_chains() (held to the end of the transaction), so that no other
   transaction changes chains between this walk and commit. A raw writer of
   collection_chain already holds ROW EXCLUSIVE on it when its trigger asks for this lock:
   two raw writers that skip the protocol (set_chain, remove_collection and copy_collection
   take the chain lock before writing) can deadlock here, and PostgreSQL then rolls one of
   them back (40P01); neither stores a path computed from a stale chain graph.
   force_generic_plan: PostgreSQL otherwise planned the recursive statements afresh on each
   call (custom plans looked cheaper), about half of a refresh (420 -> 215 us for a
   three-member chain). */
DECLARE
    v_ids integer[];
    v_cycle record;
BEGIN
    IF coalesce(cardinality(p_collection_ids), 0) = 0 THEN
        RETURN;
    END IF;
    IF calib._lock_chains() IS NULL THEN END IF;
    INSERT INTO calib.search_path_generation AS g (generation) VALUES (1)
    ON CONFLICT ON CONSTRAINT search_path_generation_pkey
    DO UPDATE SET generation = g.generation + 1;

    /* The given collections and every chain above them (UNION: ends even on a cycle). */
    v_ids := ARRAY(
        WITH RECURSIVE up (collection_id) AS (
            SELECT u FROM unnest(p_collection_ids) AS u WHERE u IS NOT NULL
            UNION
            SELECT ch.parent_id
            FROM up JOIN calib.collection_chain AS ch ON ch.child_id = up.collection_id
        )
        SELECT up.collection_id FROM up);
    DELETE FROM calib.search_path WHERE collection_id = ANY (v_ids);

    /* One walk down from each collection; a path that meets a collection already on it is
       a cycle: it is not followed, and reported below (the insert is then rolled back). */
    WITH RECURSIVE walk (root_id, parent_id, collection_id, path) AS (
        SELECT c.collection_id, NULL::integer, c.collection_id, ARRAY[]::integer[]
        FROM calib.collection AS c
        WHERE c.collection_id = ANY (v_ids)
        UNION ALL
        SELECT w.root_id, ch.parent_id, ch.child_id, w.path || ch.position
        FROM walk AS w JOIN calib.collection_chain AS ch ON ch.parent_id = w.collection_id
    ) CYCLE collection_id SET looped USING visited,
    stored AS (
        INSERT INTO calib.search_path (collection_id, rank, member_id, member_type,
                                       snapshot_of, snapshot_epoch)
        SELECT f.root_id, row_number() OVER (PARTITION BY f.root_id ORDER BY f.path),
               c.collection_id, c.type, s.source_id, s.epoch
        FROM (SELECT DISTINCT ON (w.root_id, w.collection_id) w.root_id, w.collection_id, w.path
              FROM walk AS w WHERE NOT w.looped
              ORDER BY w.root_id, w.collection_id, w.path) AS f
        JOIN calib.collection AS c ON c.collection_id = f.collection_id
        LEFT JOIN calib.snapshot AS s ON s.collection_id = c.collection_id
        WHERE c.type <> 'CHAINED' OR s.collection_id IS NOT NULL
    )
    SELECT p.name AS parent, k.name AS child INTO v_cycle
    FROM walk AS w
    JOIN calib.collection AS p ON p.collection_id = w.parent_id
    JOIN calib.collection AS k ON k.collection_id = w.collection_id
    WHERE w.looped
    ORDER BY w.root_id, w.path
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle.child,
                   v_cycle.parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', v_cycle.parent,
                               'child', v_cycle.child)) IS NULL THEN END IF;
    END IF;
END
$$;
