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

   The wait is bounded (calib._bound_waits: calib.lock_timeout, or the session's shorter
   lock_timeout); when it runs out, calib._lock_timeout raises 55P03 naming the
   collections. The session's lock_timeout is put back afterwards.
   A collection removed by a transaction that committed while we waited is not locked (the
   row is gone); that is an error, not a silent no-op, so the caller never writes into (or
   copies) a collection that no longer exists. Its name is read before the wait, for the
   message.
   One collection whose row is free now (the usual case) is locked by a first statement
   with SKIP LOCKED: it cannot wait, so it needs neither the names nor the bounded
   lock_timeout, and it halves the cost of a one-dataset certify's locking. A row that is
   locked by another writer, or gone, is skipped and then goes the general way below.
   Errors: 55P03 (lock_not_available, kind lock_timeout) when the wait times out; KC002 a
   collection removed concurrently; KC015 a malformed calib.lock_timeout. */
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
    v_ids := ARRAY(SELECT DISTINCT u FROM unnest(p_ids) AS u ORDER BY 1);
    v_names := ARRAY(SELECT coalesce(c.name, u.id::text)
                     FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord)
                     LEFT JOIN calib.collection AS c ON c.collection_id = u.id
                     ORDER BY u.ord);
    v_old := calib._bound_waits();
    BEGIN
        IF p_mode = 'read' THEN
            PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
            ORDER BY collection_id FOR SHARE;
        ELSE
            PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
            ORDER BY collection_id FOR NO KEY UPDATE;
        END IF;
        GET DIAGNOSTICS v_n = ROW_COUNT;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection',
            format('the lock on collection %s, held by another transaction', array_to_string(
                ARRAY(SELECT quote_literal(n) FROM unnest(v_names) AS n), ', ')),
            jsonb_build_object('collection', v_names[1], 'collections', to_jsonb(v_names),
                               'mode', CASE p_mode WHEN 'read' THEN 'FOR SHARE'
                                                   ELSE 'FOR NO KEY UPDATE' END)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_n < cardinality(v_ids) THEN
        SELECT v_names[i] INTO v_gone FROM generate_subscripts(v_ids, 1) AS i
        WHERE NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = v_ids[i])
        ORDER BY i LIMIT 1;
        IF calib._raise('KC002',
            format('collection %L was removed by a concurrent transaction', v_gone),
            jsonb_build_object('kind', 'collection_removed_concurrently', 'collection', v_gone)) IS NULL THEN END IF;
    END IF;
END
$$;
