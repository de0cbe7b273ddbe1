CREATE OR REPLACE FUNCTION calib._change()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* This transaction's change (calib.change.change_id), created at its first versioned write
   (called by calib._record_versions): the row records the caller's role (calib._caller()),
   the client-supplied user and reason (settings calib.user, calib.reason; empty = NULL),
   and the transaction id. Its id is remembered in the transaction-local setting
   calib._change; a later call reuses it only if that row belongs to this very transaction
   (xid = pg_current_xact_id(), the top-level id even inside a savepoint): a caller who
   sets calib._change by hand cannot attribute its writes to another transaction's change,
   and a non-number there is ignored. A rolled-back savepoint reverts the setting and the
   row alike, so the next write creates a new row. SECURITY DEFINER: the column default
   of calib.certification.created_change calls it as whoever inserts (a raw writer too).
   Errors: none of its own. Locks: none. */
DECLARE
    v_text text := current_setting('calib._change', true);
    v_id bigint;
BEGIN
    IF v_text ~ '^[0-9]{1,18}$' THEN
        SELECT c.change_id INTO v_id FROM calib.change AS c
        WHERE c.change_id = v_text::bigint AND c.xid = pg_current_xact_id();
        IF FOUND THEN
            RETURN v_id;
        END IF;
    END IF;
    INSERT INTO calib.change (db_role, app_user, reason)
    VALUES (calib._caller(), nullif(current_setting('calib.user', true), ''),
            nullif(current_setting('calib.reason', true), ''))
    RETURNING change_id INTO v_id;
    PERFORM set_config('calib._change', v_id::text, true);
    RETURN v_id;
END
$$;
