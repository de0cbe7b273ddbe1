CREATE OR REPLACE FUNCTION calib.prune_history(p_before bigint)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Retention (README "Retention and request ids"): drops the history older than epoch
   p_before. Deleted: every closed version (of certification_version, collection_version,
   chain_version, tag_version, dataset_version) whose removing change has an epoch below
   p_before -- no as-of read at an epoch >= p_before can see it (calib._visible: it was gone
   by then) and history from p_before on never shows it --, then every change row below
   p_before that no version and no current certification refers to any more. Versions
   still visible at p_before (current ones, or closed at or after p_before) stay with the
   changes that created them, so as-of reads at every epoch >= p_before answer exactly as
   before (tests/test_pg_retention.py replays them all). The history horizon
   (calib.history_horizon) becomes p_before: as-of reads and history since an epoch below
   it are then refused (as_of_pruned) instead of answered wrongly. The horizon never moves
   back: a p_before at or below it drops nothing. A change's request id goes with its
   row: a retry of a pruned request is no longer recognised.
   Arguments: p_before: 0 <= p_before <= calib.current_epoch().
   Returns: the number of versions dropped.
   Errors: KC015 argument_null, KC015 prune_range (p_before out of range), KC015
   prune_snapshot (a snapshot reads an epoch below p_before), 55P03 (wait
   'history_horizon') when another prune holds the horizon beyond calib.lock_timeout,
   0A000 change_delete_isolation in a transaction under REPEATABLE READ or SERIALIZABLE
   (changes are deleted only under READ COMMITTED: calib._change_refs_check).
   Locks: the calib.history_horizon row FOR UPDATE (prunes take turns; a wait bounded by
   calib.lock_timeout); ROW EXCLUSIVE on the version tables and calib.change, like any
   writer, and the deleted rows, which nobody writes any more (closed versions, changes
   nothing refers to). No table lock: lookups (current and as-of) and writers go on. The
   work is linear in the history dropped plus one pass over the current certifications;
   to keep each transaction short, prune in steps of increasing p_before. */
DECLARE
    v_horizon bigint;
    v_current bigint := calib.current_epoch();
    v_changes bigint[];
    v_n bigint;
    v_total bigint := 0;
    v_old text;
    v_snapshot bigint;
BEGIN
    IF p_before IS NULL THEN
        IF calib._raise('KC015', 'prune_history needs an epoch (before) and got NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'before')) IS NULL THEN END IF;
    END IF;
    IF p_before < 0 OR p_before > v_current THEN
        IF calib._raise('KC015',
            format('prune_history before epoch %s is out of range: epochs run from 0 to the current epoch %s',
                   p_before, v_current),
            jsonb_build_object('kind', 'prune_range', 'before', p_before,
                               'current', v_current)) IS NULL THEN END IF;
    END IF;
    /* A snapshot reads its source as of its epoch, for as long as it exists or can still be
       read as of an epoch >= p_before (removed at or after it): its versions must stay. */
    SELECT min(s.epoch) INTO v_snapshot FROM calib.snapshot AS s
    WHERE s.epoch < p_before
      AND EXISTS (SELECT FROM calib.collection_version AS v
                  LEFT JOIN calib.change AS r ON r.change_id = v.removed_change
                  WHERE v.collection_id = s.collection_id
                    AND (v.removed_change IS NULL OR r.epoch IS NULL OR r.epoch >= p_before));
    IF v_snapshot IS NOT NULL THEN
        IF calib._raise('KC015',
            format('prune_history before epoch %s would drop what a snapshot reads (epoch %s): '
                   'remove the snapshot first, or prune before epoch %s at most',
                   p_before, v_snapshot, v_snapshot),
            jsonb_build_object('kind', 'prune_snapshot', 'before', p_before,
                               'snapshot_epoch', v_snapshot)) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        SELECT h.earliest_epoch INTO v_horizon FROM calib.history_horizon AS h FOR UPDATE;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('history_horizon', 'the history horizon, held by another prune_history',
                               '{}') IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF p_before <= v_horizon THEN
        RETURN 0;
    END IF;
    v_changes := ARRAY(SELECT c.change_id FROM calib.change AS c WHERE c.epoch < p_before);
    /* Closed versions whose removal committed before p_before: through the removed_change
       indexes. A current version (removed_change NULL) and one closed by an uncommitted
       change (no epoch) are never among them. */
    DELETE FROM calib.certification_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.collection_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.chain_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.tag_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    DELETE FROM calib.dataset_version AS v WHERE v.removed_change = ANY (v_changes);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_total := v_total + v_n;
    /* The changes nothing refers to any more (one anti-join per reference: a hash
       anti-join each, so one pass over every table rather than a probe per change). A new reference to an old change only ever
       comes from an existing one (a current certification copied into its version table
       when closed), which this statement's snapshot sees, so no concurrent writer can
       need a row deleted here. */
    DELETE FROM calib.change AS c
    WHERE c.change_id = ANY (v_changes)
      AND NOT EXISTS (SELECT FROM calib.certification AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.certification_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.certification_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.collection_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.collection_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.chain_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.chain_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.tag_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.tag_version AS x WHERE x.removed_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.dataset_version AS x WHERE x.created_change = c.change_id)
      AND NOT EXISTS (SELECT FROM calib.dataset_version AS x WHERE x.removed_change = c.change_id);
    UPDATE calib.history_horizon SET earliest_epoch = p_before, pruned_at = clock_timestamp();
    RETURN v_total;
END
$$;
