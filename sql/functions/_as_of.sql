CREATE OR REPLACE FUNCTION calib._as_of(p_epoch bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* p_epoch checked as an as-of argument: 0 <= p_epoch <= calib.current_epoch() (a future
   epoch has no fixed answer yet). Returns it. NULL stays NULL (= now: the caller reads the
   current tables).
   Errors: KC015 as_of_range. */
DECLARE
    v_current bigint;
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
    RETURN p_epoch;
END
$$;
