CREATE OR REPLACE FUNCTION calib._stamp_row()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* BEFORE INSERT OR UPDATE row trigger of calib.certification, fired only (its WHEN clause,
   schema/history_triggers.sql) for a row whose created_change / created_operation are not
   this statement's: raw SQL that named values of its own, or an UPDATE that left the old
   ones. Such a row is written by this transaction's change all the same: nothing escapes
   the history, and nobody dates a row into another change. The functions' own writes never
   fire it (defaults; UPDATE ... SET created_change = DEFAULT).
   Errors: none. Locks: none. */
BEGIN
    NEW.created_change := calib._change();
    NEW.created_operation := current_setting('calib._row_operation');
    RETURN NEW;
END
$$;
