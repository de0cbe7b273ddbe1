CREATE OR REPLACE FUNCTION calib._current_operation()
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The operation the versions written by the current client statement are recorded with:
   the public function that named itself with calib._operation in this same statement
   (its label carries the statement's start), else 'sql' (raw SQL, or a later statement of
   the transaction). The one place this is decided (calib._record_versions,
   calib._certification_statement). Errors: none. Locks: none. */
DECLARE
    v_label text := current_setting('calib._operation', true);
BEGIN
    /* PL/pgSQL, not SQL (revision 0016): a SQL function with a SET clause is never
       inlined and was parsed and planned again at every call (20-60 us); PL/pgSQL
       keeps its plan for the session (bench/README.md "PostgreSQL writes"). */
    RETURN CASE WHEN split_part(v_label, ' ', 2) = extract(epoch FROM statement_timestamp())::text
                THEN split_part(v_label, ' ', 1) ELSE 'sql' END;
END
$$;
