CREATE OR REPLACE FUNCTION calib._as_of(p_epoch bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* p_epoch checked as an as-of argument: 0 <= p_epoch <= calib.current_epoch() (a future
   epoch has no fixed answer yet). Returns it. NULL stays NULL (= now: the caller reads the
   current tables). An epoch below the history horizon (calib.history_horizon, raised by
   calib.prune_history) is refused too: its closed versions are gone, so an answer would be
   wrong. Read in the caller's snapshot (every as-of path is STABLE), so a prune that
   commits during the call is seen with its deletions or not at all.
   Errors: KC015 as_of_range, KC015 as_of_pruned. */
DECLARE
    v_current bigint;
    v_horizon bigint;
BEGIN
    IF p_epoch IS NULL THEN
        RETURN NULL;
    END IF;
    v_current := calib.current_epoch();
    IF p_epoch < 0 OR p_epoch > v_current THEN
        IF calib._raise('KC015',
            format('as_of epoch %s is out of range: epochs run from 0 to the current epoch %s',
                   p_epoch, v_current),
            jsonb_build_object('kind', 'as_of_range', 'as_of', p_epoch,
                               'current', v_current)) IS NULL THEN END IF;
    END IF;
    SELECT h.earliest_epoch INTO v_horizon FROM calib.history_horizon AS h;
    IF p_epoch < v_horizon THEN
        IF calib._raise('KC015',
            format('epoch %s was pruned: history is kept from epoch %s on (calib.prune_history)',
                   p_epoch, v_horizon),
            jsonb_build_object('kind', 'as_of_pruned', 'as_of', p_epoch,
                               'earliest', v_horizon)) IS NULL THEN END IF;
    END IF;
    RETURN p_epoch;
END
$$;
