CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Replace the children of CHAINED collection p_parent, atomically, by p_children in order
   (a repeated child is kept at its first position only; an empty array empties the chain).
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the
   parent itself, or a chain that already contains the parent), KC015 NULL.
   Locks: calib._lock_chains(), then the parent row (calib._lock_collections). */
DECLARE
    v_replay jsonb;
    v_parent calib.collection := calib._collection(p_parent, ARRAY['CHAINED']);
    v_ids integer[];
    v_missing text;
    v_cycle text;
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('set_chain');
        IF v_replay IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    IF p_children IS NULL OR array_position(p_children, NULL) IS NOT NULL THEN
        IF calib._raise('KC015', 'chain children must be a non-NULL array of names',
                             jsonb_build_object('kind', 'chain_children_null',
                                                'collection', p_parent)) IS NULL THEN END IF;
    END IF;
    /* Names are stored in NFC: look the children up by their NFC spelling. */
    p_children := ARRAY(SELECT normalize(u.c, NFC)
                        FROM unnest(p_children) WITH ORDINALITY AS u(c, ord) ORDER BY u.ord);
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_parent := calib._collection(p_parent, ARRAY['CHAINED']);
    IF calib._lock_collections(ARRAY[v_parent.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_parent.collection_id, 'set_chain') IS NULL THEN END IF;

    SELECT u.name INTO v_missing
    FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
    LEFT JOIN calib.collection AS c ON c.name = u.name
    WHERE c.collection_id IS NULL ORDER BY u.ord LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC002',
            format('collection %L (child of chain %L) does not exist', v_missing, p_parent),
            jsonb_build_object('kind', 'chain_child_missing', 'collection', v_missing,
                               'parent', p_parent)) IS NULL THEN END IF;
    END IF;

    v_ids := ARRAY(
        SELECT c.collection_id
        FROM (SELECT DISTINCT ON (u.name) u.name, u.ord
              FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
              ORDER BY u.name, u.ord) AS firsts
        JOIN calib.collection AS c ON c.name = firsts.name
        ORDER BY firsts.ord);

    /* A cycle exists iff the parent is reachable from one of the new children. */
    WITH RECURSIVE reach (collection_id, via) AS (
        SELECT c, c FROM unnest(v_ids) AS c
        UNION
        SELECT ch.child_id, r.via
        FROM reach AS r JOIN calib.collection_chain AS ch ON ch.parent_id = r.collection_id
    )
    SELECT c.name INTO v_cycle
    FROM reach AS r JOIN calib.collection AS c ON c.collection_id = r.via
    WHERE r.collection_id = v_parent.collection_id
    ORDER BY array_position(v_ids, r.via)  -- the first new child that leads back
    LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle, p_parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', p_parent, 'child', v_cycle)) IS NULL THEN END IF;
    END IF;

    /* The same children in the same order change nothing: no rows written, so no change
       and no epoch (revision 0015; the delete and re-insert left no version either, but
       took an epoch). */
    IF v_ids IS DISTINCT FROM ARRAY(SELECT ch.child_id FROM calib.collection_chain AS ch
                                    WHERE ch.parent_id = v_parent.collection_id
                                    ORDER BY ch.position) THEN
        DELETE FROM calib.collection_chain WHERE parent_id = v_parent.collection_id;
        INSERT INTO calib.collection_chain (parent_id, position, child_id)
        SELECT v_parent.collection_id, u.ord, u.id
        FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord);
    END IF;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('set_chain', NULL);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as one JSON array document of names (calib._names).
   PL/pgSQL, as the typed form, so that both return the same void value. */
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF calib.set_chain(p_parent, calib._names(p_children, 'children')) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as text: a JSON array or a PostgreSQL array literal. */
BEGIN
    PERFORM calib._operation('set_chain');  -- named in the history (revision 0014)
    IF calib.set_chain(p_parent, calib._names(calib._document(p_children, 'children', false),
                                                   'children')) IS NULL THEN END IF;
END
$$;
