CREATE OR REPLACE FUNCTION calib.revert(p_epoch bigint, p_dry_run boolean DEFAULT false)
RETURNS TABLE (action text, collection text, dataset_type text, data_id jsonb, dataset uuid,
               validity tstzrange, detail jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Undo the change committed as epoch p_epoch by writing its inverse as a new change
   (operation 'revert'; history is kept, and a revert can itself be reverted): the
   certifications, tags, chain positions, datasets and collections it created are removed,
   those it removed or changed are restored as they were (same ids, validity, state and
   writers), collections whose state or writers it changed get them back. A later change
   that makes this impossible fails the whole call and nothing is changed: a row the change
   created has since been changed or removed, a dataset or collection it created is used
   since, a row to restore has lost its place, its collection or its dataset (KC019
   RevertConflictError, naming the epoch and the later epoch in the way), or a restored
   certification would overlap a later one (KC001, kind revert_overlap). What is not
   versioned is not reverted: dataset types, interned data IDs, a collection's doc.
   The change's reason is 'revert of epoch N' unless calib.reason is set. Role:
   calib_admin (README "Revert": a change can span collections, chains and collection
   registrations, which only admins make).
   Arguments: p_epoch an epoch of calib.change; p_dry_run true: everything is done and
   checked, then rolled back (a conflict raises just the same), nothing is written.
   Returns: what it does (or would do), calib._revert_actions: one row per row removed or
   restored (action, collection, dataset_type, data_id, dataset, validity, detail), in the
   order it is done.
   Errors: KC015 NULL epoch or no change with that epoch (revert_epoch_missing) or one
   below the history horizon (as_of_pruned), KC019,
   KC001, KC017/KC018 a touched collection's writer list or state (FROZEN, APPEND_ONLY);
   55P03 a lock wait ran out.
   Locks: calib._lock_chains() when chains or collection registrations are touched, then
   every touched collection's row in ascending id (calib._lock_collections), before any
   check (calib._revert_apply). */
DECLARE
    v_change bigint;
    v_reason text := coalesce(current_setting('calib.reason', true), '');
    v_done boolean := false;
BEGIN
    PERFORM calib._operation('revert');  -- named in the history
    IF p_epoch IS NULL THEN
        IF calib._raise('KC015', 'epoch must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'epoch')) IS NULL THEN END IF;
    END IF;
    /* A change below the history horizon (calib.prune_history) lost the closed versions a
       revert would restore: refused (as_of_pruned) rather than half done. */
    IF p_epoch >= 0 AND p_epoch <= calib.current_epoch() AND calib._as_of(p_epoch) IS NULL THEN
    END IF;
    SELECT c.change_id INTO v_change FROM calib.change AS c WHERE c.epoch = p_epoch;
    IF NOT FOUND THEN
        IF calib._raise('KC015',
            format('epoch %s is not a committed change: nothing to revert (current epoch %s)',
                   p_epoch, calib.current_epoch()),
            jsonb_build_object('kind', 'revert_epoch_missing', 'epoch', p_epoch,
                               'current', calib.current_epoch())) IS NULL THEN END IF;
    END IF;
    /* What it does, read before anything is written. */
    RETURN QUERY SELECT * FROM calib._revert_actions(v_change);
    IF v_reason = '' THEN
        PERFORM set_config('calib.reason', format('revert of epoch %s', p_epoch), true);
    END IF;
    IF p_dry_run THEN
        /* Do it all, then undo it: the dry run meets exactly the checks and conflicts of
           the real call. The signal is a KC019 of its own kind, caught right here. */
        BEGIN
            IF calib._revert_apply(v_change, p_epoch) IS NULL THEN END IF;
            v_done := true;
            IF calib._raise('KC019', 'dry run of revert: rolled back',
                jsonb_build_object('kind', 'revert_dry_run', 'epoch', p_epoch)) IS NULL THEN END IF;
        EXCEPTION WHEN SQLSTATE 'KC019' THEN
            IF NOT v_done THEN
                RAISE;
            END IF;
        END;
    ELSE
        IF calib._revert_apply(v_change, p_epoch) IS NULL THEN END IF;
    END IF;
    IF v_reason = '' THEN
        PERFORM set_config('calib.reason', v_reason, true);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.revert(p_epoch text, p_dry_run text)
RETURNS TABLE (action text, collection text, dataset_type text, data_id jsonb, dataset uuid,
               validity tstzrange, detail jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* revert with both arguments as text (drivers binding text): the epoch in decimal digits
   (calib._epoch_text), dry_run as PostgreSQL reads a boolean (NULL or '': false). Then
   exactly the typed form. */
BEGIN
    PERFORM calib._operation('revert');  -- named in the history
    RETURN QUERY SELECT * FROM calib.revert(
        calib._epoch_text(p_epoch, 'epoch'),
        coalesce(calib._parse_boolean(nullif(btrim(p_dry_run), ''), 'dry_run'), false));
END
$$;
