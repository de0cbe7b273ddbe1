-- Revision 0003 (0002 -> 0003) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0003_secure_functions.postgresql.sql. The security fix of issue 11, in
-- place: no data touched, no function re-created.
-- * every function pins search_path = pg_catalog, pg_temp: without pg_temp named, the
--   caller's temporary schema was searched FIRST for types and tables, so a domain such as
--   pg_temp.text ran the caller's code as the functions' owner. calib._flatten stays
--   without a SET clause (an inline-only helper: its body is planned inside its callers,
--   with their pinned path; see sql/functions/_flatten.sql);
-- * every object belongs to the NOLOGIN, non-superuser role calib_owner (created here);
-- * PUBLIC has no right on the schema or any function, now or for functions calib_owner
--   creates later (default privileges).
\ir ../../sql/schema/roles.sql
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
             FROM pg_catalog.pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace AND p.proname <> '_flatten'
             ORDER BY p.proname, args LOOP
        EXECUTE pg_catalog.format(
            'ALTER FUNCTION calib.%I(%s) SET search_path = pg_catalog, pg_temp',
            r.proname, r.args);
    END LOOP;
END
$$;
\ir ../../sql/schema/security.sql
