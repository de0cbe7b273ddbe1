CREATE OR REPLACE FUNCTION calib._operation(p_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Names the public function that is changing content, for the history: every mutating
   function calls it first (PERFORM calib._operation('certify')), and calib._record_versions
   records the name with the versions the statement's triggers write. The name is kept in
   the transaction-local setting calib._operation together with the statement's start
   (statement_timestamp(), as epoch seconds), so that it labels only the writes of the
   client statement that called the function: a later statement of the same transaction
   (raw SQL by the owner) is recorded as 'sql'. A setting in the function's SET clause
   would be cleaner, but PostgreSQL lets only superusers put a custom setting there, and
   calibcert installs as calib_owner. Errors: none. Locks: none. */
BEGIN
    /* PL/pgSQL, not SQL (revision 0016): a SQL function with a SET clause is never
       inlined and was parsed and planned again at every call (20-60 us); PL/pgSQL
       keeps its plan for the session (bench/README.md "PostgreSQL writes"). */
    PERFORM set_config('calib._operation',
                       p_name || ' ' || extract(epoch FROM statement_timestamp())::text, true);
END
$$;
