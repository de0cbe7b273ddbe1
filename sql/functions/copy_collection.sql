CREATE OR REPLACE FUNCTION calib.copy_collection(p_source text, p_destination text, p_doc text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create p_destination with the type of p_source and all its associations: certifications
   with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based:
   one INSERT ... SELECT. p_doc defaults to the source's doc. A snapshot's copy gets its
   source's associations as of the snapshot's epoch (revision 0014), in OPEN state.
   Errors: KC002 unknown source (snapshot_member_removed: a snapshot of a chain whose
   member has been removed since), KC003 source is a RUN, KC010 destination exists, KC014 bad
   destination name.
   Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in
   flight, then copies their complete result); the new row is invisible until commit. A
   destination name that another open transaction is creating: wait for it to end, bounded
   (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_replay jsonb;
    v_src calib.collection := calib._collection(p_source, ARRAY['TAGGED', 'CALIBRATION', 'CHAINED']);
    v_dst_id integer;
    v_old text;
    v_snap calib.snapshot;
    v_gone text;
BEGIN
    PERFORM calib._operation('copy_collection');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('copy_collection');
        IF v_replay IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    p_destination := normalize(p_destination, NFC);  -- names are stored in NFC
    IF calib._check_name(p_destination, 'collection name') IS NULL THEN END IF;
    IF v_src.type = 'CHAINED' THEN
        IF calib._lock_chains() IS NULL THEN END IF;
        /* Look it up again: a concurrent remove may have committed while we waited. */
        v_src := calib._collection(p_source, ARRAY['CHAINED']);
    END IF;
    IF calib._lock_collections(ARRAY[v_src.collection_id], 'read') IS NULL THEN END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc)
        VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
        RETURNING collection_id INTO v_dst_id;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_destination),
            jsonb_build_object('collection', p_destination, 'source', p_source)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_dst_id IS NULL THEN
        IF calib._raise('KC010', format('collection %L already exists', p_destination),
                             jsonb_build_object('kind', 'collection_exists',
                                                'collection', p_destination)) IS NULL THEN END IF;
    END IF;
    SELECT * INTO v_snap FROM calib.snapshot AS s WHERE s.collection_id = v_src.collection_id;
    IF FOUND THEN
        /* A snapshot (revision 0014) holds no rows: the copy gets its source's as of the
           snapshot's epoch (an ordinary, writable collection). A chain's children must
           still exist. */
        IF v_src.type = 'CALIBRATION' THEN
            INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
            SELECT v_dst_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
            FROM calib.certification_history AS c WHERE c.collection_id = v_snap.source_id
              AND calib._visible(c.created_change, c.removed_change, v_snap.epoch);
        ELSIF v_src.type = 'TAGGED' THEN
            INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
            SELECT v_dst_id, t.dataset_type_id, t.data_id_key, t.dataset_id
            FROM calib.tag_version AS t WHERE t.collection_id = v_snap.source_id
              AND calib._visible(t.created_change, t.removed_change, v_snap.epoch);
        ELSE
            SELECT v.name INTO v_gone
            FROM calib.chain_version AS ch
            JOIN calib.collection_version AS v ON v.collection_id = ch.child_id
                 AND calib._visible(v.created_change, v.removed_change, v_snap.epoch)
            WHERE ch.parent_id = v_snap.source_id
              AND calib._visible(ch.created_change, ch.removed_change, v_snap.epoch)
              AND NOT EXISTS (SELECT FROM calib.collection AS k WHERE k.collection_id = ch.child_id)
            ORDER BY ch.position LIMIT 1;
            IF FOUND THEN
                IF calib._raise('KC002',
                    format('cannot copy snapshot %L: its chain member %L has been removed since',
                           p_source, v_gone),
                    jsonb_build_object('kind', 'snapshot_member_removed', 'collection', p_source,
                                       'member', v_gone)) IS NULL THEN END IF;
            END IF;
            INSERT INTO calib.collection_chain (parent_id, position, child_id)
            SELECT v_dst_id, ch.position, ch.child_id
            FROM calib.chain_version AS ch WHERE ch.parent_id = v_snap.source_id
              AND calib._visible(ch.created_change, ch.removed_change, v_snap.epoch);
        END IF;
    ELSIF v_src.type = 'CALIBRATION' THEN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT v_dst_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
        FROM calib.certification AS c WHERE c.collection_id = v_src.collection_id;
    ELSIF v_src.type = 'TAGGED' THEN
        INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
        SELECT v_dst_id, t.dataset_type_id, t.data_id_key, t.dataset_id
        FROM calib.tag AS t WHERE t.collection_id = v_src.collection_id;
    ELSE
        INSERT INTO calib.collection_chain (parent_id, position, child_id)
        SELECT v_dst_id, ch.position, ch.child_id
        FROM calib.collection_chain AS ch WHERE ch.parent_id = v_src.collection_id;
    END IF;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('copy_collection', NULL);
    END IF;
END
$$;
