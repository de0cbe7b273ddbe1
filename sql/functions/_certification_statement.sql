CREATE OR REPLACE FUNCTION calib._certification_statement()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* BEFORE INSERT OR UPDATE statement trigger of calib.certification, once per statement:
   prepares what the column defaults of created_change / created_operation read row by row
   (schema/history_triggers.sql).
   - calib._change: kept only if it names this transaction's own change (calib._change()
     checks the row's xid); otherwise emptied, so that the first row's default creates the
     change. A caller who set it by hand cannot date rows into another transaction's change.
     A statement that writes no row creates no change (no epoch).
   - calib._row_operation: the operation (calib._current_operation()).
   SECURITY DEFINER: a raw writer a DBA granted the table reads calib.change here.
   Errors: none. Locks: none. */
DECLARE
    v_text text := current_setting('calib._change', true);
    v_op text := calib._current_operation();
BEGIN
    IF v_text IS NOT NULL AND v_text <> '' THEN
        IF NOT (v_text ~ '^[0-9]{1,18}$'
                AND EXISTS (SELECT FROM calib.change AS c
                            WHERE c.change_id = v_text::bigint AND c.xid = pg_current_xact_id())) THEN
            PERFORM set_config('calib._change', '', true);
        END IF;
    END IF;
    /* Set only when it changes (revision 0017): a statement with several parts that write
       certifications (decertify's UPDATE and INSERT) fires this once per part. */
    IF current_setting('calib._row_operation', true) IS DISTINCT FROM v_op THEN
        PERFORM set_config('calib._row_operation', v_op, true);
    END IF;
    RETURN NULL;
END
$$;
