-- FROZEN downgrade of revision 0003, written by migrations/freeze.py from sources/0003_secure_functions.postgresql.down.sql.
-- Never edit by hand.
-- Undo revision 0003 on PostgreSQL (source of versions/0003_secure_functions.postgresql.down.sql):
-- the search_path of revision 0002 (pg_catalog alone; calib._raise and calib._flatten had
-- none), every object back to the role running the downgrade (0002 left them with the
-- installing role), and PostgreSQL's default EXECUTE for functions calib_owner creates.
-- The role calib_owner itself is left: roles are cluster-wide and may serve other databases.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
             FROM pg_catalog.pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace AND p.proname <> '_flatten'
             ORDER BY p.proname, args LOOP
        EXECUTE pg_catalog.format(
            CASE WHEN r.proname = '_raise' THEN 'ALTER FUNCTION calib.%I(%s) RESET search_path'
                 ELSE 'ALTER FUNCTION calib.%I(%s) SET search_path = pg_catalog' END,
            r.proname, r.args);
    END LOOP;
END
$$;
ALTER DEFAULT PRIVILEGES FOR ROLE calib_owner GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
REASSIGN OWNED BY calib_owner TO CURRENT_USER;
