CREATE OR REPLACE FUNCTION calib.snapshot_collection(p_source text, p_name text, p_as_of bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Create collection p_name that reads as p_source did at epoch p_as_of (NULL: the current
   epoch at the call, calib.current_epoch(): what is committed, not the caller's own
   uncommitted changes), in O(1): one collection row (the source's type then, state
   FROZEN) and one calib.snapshot row (source id, epoch); no certification, tag, dataset or
   chain row is copied. Every read of it (find, find_many, certifications, get_chain,
   collection_digest, as a chain member) is an as-of read of the source (calib.probe's
   snapshot branch, calib._probe_as_of). It refuses every write (FROZEN by construction:
   calib._check_change and the FROZEN triggers; set_collection_state refuses to unfreeze
   it); remove_collection (admin) removes it. The source is taken as named at that epoch,
   so a collection removed (or renamed away) since can still be snapshotted as it was; a
   snapshot keeps reading its source's versions after the source is removed. A snapshot of
   a snapshot reads what the first one reads (same source, same epoch).
   Arguments: p_source the collection to read (any type), p_name the new collection's name
   (calib._check_name rules), p_as_of the epoch (0 .. current_epoch(); NULL: current).
   Returns: the epoch the snapshot reads its source at.
   Locks: the new name in the unique index collection_name_key (a second transaction
   creating the same name waits for the first to end, bounded: calib._bound_waits; 55P03,
   kind lock_timeout, wait collection_name). None on the source: the state at a committed
   epoch never changes. Its history: a change with operation snapshot_collection.
   Errors: KC002 collection_missing_as_of (no collection of that name at the epoch), KC010
   collection_exists, KC014 bad name, KC015 as_of_range / NULL source or name. */
DECLARE
    v_epoch bigint := coalesce(calib._as_of(p_as_of), calib.current_epoch());
    v_src_id integer;
    v_type text;
    v_id integer;
    v_old text;
    v_inner calib.snapshot;
BEGIN
    PERFORM calib._operation('snapshot_collection');  -- named in the history
    IF p_name IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    p_name := normalize(p_name, NFC);  -- names are stored in NFC
    IF calib._check_name(p_name, 'collection name') IS NULL THEN END IF;
    v_src_id := calib._collection_as_of(p_source, v_epoch);
    SELECT v.type INTO v_type FROM calib.collection_version AS v
    WHERE v.collection_id = v_src_id AND calib._visible(v.created_change, v.removed_change, v_epoch);
    /* A snapshot of a snapshot: the first one's source and epoch (a source is never a
       snapshot, so reads follow one indirection, never a chain of them). */
    SELECT * INTO v_inner FROM calib.snapshot AS s WHERE s.collection_id = v_src_id;
    IF FOUND THEN
        v_src_id := v_inner.source_id;
        v_epoch := v_inner.epoch;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, state) VALUES (p_name, v_type, 'FROZEN')
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
        RETURNING collection_id INTO v_id;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_name),
            jsonb_build_object('collection', p_name, 'source', p_source)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_id IS NULL THEN
        IF calib._raise('KC010', format('collection %L already exists', p_name),
                        jsonb_build_object('kind', 'collection_exists',
                                           'collection', p_name)) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.snapshot (collection_id, source_id, epoch) VALUES (v_id, v_src_id, v_epoch);
    /* Its own search path: the one member, itself, with the source and epoch. Written here
       rather than by calib._refresh_search_paths, which would take the chain lock: no chain
       can list a collection before it commits, so its path is this one row (check_integrity
       compares it with the walk). */
    DELETE FROM calib.search_path WHERE collection_id = v_id;
    INSERT INTO calib.search_path (collection_id, rank, member_id, member_type, snapshot_of, snapshot_epoch)
    VALUES (v_id, 1, v_id, v_type, v_src_id, v_epoch);
    RETURN v_epoch;
END
$$;

CREATE OR REPLACE FUNCTION calib.snapshot_collection(p_source text, p_name text, p_as_of text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* snapshot_collection with every argument as text (drivers binding text): p_as_of an
   epoch in decimal digits, or NULL / '' for the current epoch (calib._epoch_text). Then
   exactly the typed form. No default: a two-argument call reaches the typed form.
   Arguments, Returns, Locks: as the typed form.
   Errors: as the typed form; KC015 epoch_text for an epoch that is not a decimal integer. */
BEGIN
    RETURN calib.snapshot_collection(p_source, p_name, calib._epoch_text(p_as_of, 'as_of'));
END
$$;
