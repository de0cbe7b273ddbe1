-- Revision 0006 (0005 -> 0006) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0006_error_kinds.postgresql.sql. Every error a function raises through
-- calib._raise names its kind in the DETAIL JSON ("kind") and carries every fact its
-- message prints, so that the Python client renders the message from (kind, details) alone
-- (calibcert.messages), the same for both backends. SQLSTATEs and psql-visible messages
-- are unchanged; no signature, lock or logic changes.
\ir ../../sql/functions/_canonical_data_ids.sql
\ir ../../sql/functions/_certify_rows.sql
\ir ../../sql/functions/_check_name.sql
\ir ../../sql/functions/_collection.sql
\ir ../../sql/functions/_dataset_type.sql
\ir ../../sql/functions/_resolve_datasets.sql
\ir ../../sql/functions/_timespan.sql
\ir ../../sql/functions/certify_series.sql
\ir ../../sql/functions/close_open_range.sql
\ir ../../sql/functions/copy_collection.sql
\ir ../../sql/functions/insert_datasets.sql
\ir ../../sql/functions/register_collection.sql
\ir ../../sql/functions/register_dataset_type.sql
\ir ../../sql/functions/remove_collection.sql
\ir ../../sql/functions/set_chain.sql
\ir ../../sql/functions/tag.sql
-- Two changed functions shared their file with a function this revision leaves alone
-- (calib._lock_chains, calib._search_path_trigger), which freeze.py refuses to re-create
-- unchanged: they were copied here from sql/functions/_lock_collections.sql and
-- sql/functions/_refresh_search_paths.sql (tests/test_migrations.py proves the migrated
-- schema equal to a fresh install of sql/install.sql). Since revision 0008 every file of
-- sql/functions/ defines one function (or the overloads of one name), so a revision can
-- include what it changes.
CREATE OR REPLACE FUNCTION calib._lock_collections(p_ids integer[], p_mode text DEFAULT 'write')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The locking protocol, in one place. A writer locks the rows of the collections it
   changes, FOR NO KEY UPDATE, in ascending collection_id (p_mode 'write'); a copy locks its
   source FOR SHARE (p_mode 'read') so it waits for writers in flight and then sees their
   whole result. Locks are held to the end of the transaction. Chain changes take
   calib._lock_chains() before this. Readers take no locks (MVCC), and FOR NO KEY UPDATE does
   not conflict with the FOR KEY SHARE that foreign-key checks take, so writers of different
   collections never wait for each other.

   The wait is bounded: if the session has no lock_timeout, calib.lock_timeout (default
   '10s') applies while waiting, and the session value is restored afterwards.
   A collection removed by a transaction that committed while we waited is not locked (the
   row is gone); that is an error, not a silent no-op, so the caller never writes into (or
   copies) a collection that no longer exists. Its name is read before the wait, for the
   message.
   One collection whose row is free now (the usual case) is locked by a first statement
   with SKIP LOCKED: it cannot wait, so it needs neither the names nor the bounded
   lock_timeout, and it halves the cost of a one-dataset certify's locking. A row that is
   locked by another writer, or gone, is skipped and then goes the general way below.
   Errors: 55P03 (lock_not_available) when the wait times out; KC002 a collection removed
   concurrently. */
DECLARE
    v_old text;
    v_ids integer[];
    v_names text[];
    v_n integer;
    v_gone text;
BEGIN
    IF cardinality(p_ids) = 1 THEN
        IF p_mode = 'read' THEN
            PERFORM FROM calib.collection WHERE collection_id = p_ids[1] FOR SHARE SKIP LOCKED;
        ELSE
            PERFORM FROM calib.collection WHERE collection_id = p_ids[1]
            FOR NO KEY UPDATE SKIP LOCKED;
        END IF;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    v_old := current_setting('lock_timeout');
    v_ids := ARRAY(SELECT DISTINCT u FROM unnest(p_ids) AS u ORDER BY 1);
    v_names := ARRAY(SELECT coalesce(c.name, u.id::text)
                     FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord)
                     LEFT JOIN calib.collection AS c ON c.collection_id = u.id
                     ORDER BY u.ord);
    IF v_old = '0' THEN
        PERFORM set_config('lock_timeout',
            coalesce(nullif(current_setting('calib.lock_timeout', true), ''), '10s'), true);
    END IF;
    IF p_mode = 'read' THEN
        PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
        ORDER BY collection_id FOR SHARE;
    ELSE
        PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
        ORDER BY collection_id FOR NO KEY UPDATE;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_old = '0' THEN
        PERFORM set_config('lock_timeout', v_old, true);
    END IF;
    IF v_n < cardinality(v_ids) THEN
        SELECT v_names[i] INTO v_gone FROM generate_subscripts(v_ids, 1) AS i
        WHERE NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = v_ids[i])
        ORDER BY i LIMIT 1;
        PERFORM calib._raise('KC002',
            format('collection %L was removed by a concurrent transaction', v_gone),
            jsonb_build_object('kind', 'collection_removed_concurrently', 'collection', v_gone));
    END IF;
END
$$;

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
   other collection gets itself (rank 1); an id without a collection gets nothing. A path
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
    PERFORM calib._lock_chains();
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
        INSERT INTO calib.search_path (collection_id, rank, member_id, member_type)
        SELECT f.root_id, row_number() OVER (PARTITION BY f.root_id ORDER BY f.path),
               c.collection_id, c.type
        FROM (SELECT DISTINCT ON (w.root_id, w.collection_id) w.root_id, w.collection_id, w.path
              FROM walk AS w WHERE NOT w.looped
              ORDER BY w.root_id, w.collection_id, w.path) AS f
        JOIN calib.collection AS c ON c.collection_id = f.collection_id
        WHERE c.type <> 'CHAINED'
    )
    SELECT p.name AS parent, k.name AS child INTO v_cycle
    FROM walk AS w
    JOIN calib.collection AS p ON p.collection_id = w.parent_id
    JOIN calib.collection AS k ON k.collection_id = w.collection_id
    WHERE w.looped
    ORDER BY w.root_id, w.path
    LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle.child,
                   v_cycle.parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', v_cycle.parent,
                               'child', v_cycle.child));
    END IF;
END
$$;
