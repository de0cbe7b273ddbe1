-- FROZEN upgrade of revision 0003, written by migrations/freeze.py from sources/0003_secure_functions.postgresql.sql.
-- Never edit by hand.
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
/* Roles are cluster-wide, so they are created only if missing (several databases of one
   cluster may carry calibcert). calib_reader may look up; calib_writer may also change.
   calib_owner owns every calibcert object (schema/security.sql hands them over): the
   SECURITY DEFINER functions run as this role, so it must hold no power beyond calibcert's
   own tables. A mistake in a function then grants a caller calibcert's tables, never the
   cluster. An existing calib_owner (made by another calibcert database of the cluster, or
   by a DBA beforehand) is checked, never trusted: installing refuses a powerful one. */
DO $$
DECLARE
    v_bad text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_owner') THEN
        CREATE ROLE calib_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
            NOBYPASSRLS NOINHERIT;
    END IF;
    SELECT pg_catalog.concat_ws(', ',
               CASE WHEN r.rolsuper THEN 'SUPERUSER' END,
               CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
               CASE WHEN r.rolcreatedb THEN 'CREATEDB' END,
               CASE WHEN r.rolcanlogin THEN 'LOGIN' END,
               CASE WHEN r.rolreplication THEN 'REPLICATION' END,
               CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END,
               (SELECT 'member of ' || pg_catalog.string_agg(g.rolname, ', ' ORDER BY g.rolname)
                FROM pg_catalog.pg_auth_members AS m
                JOIN pg_catalog.pg_roles AS g ON g.oid = m.roleid
                WHERE m.member = r.oid))
    INTO v_bad
    FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'calib_owner';
    IF v_bad <> '' THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('role calib_owner must be NOLOGIN, without SUPERUSER, '
                'CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS, and a member of no role; it has: %s',
                v_bad),
            HINT = 'calibcert''s functions run as calib_owner: fix the role (ALTER ROLE '
                'calib_owner NOSUPERUSER ...; REVOKE ... FROM calib_owner) and install again.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_reader') THEN
        CREATE ROLE calib_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_writer') THEN
        CREATE ROLE calib_writer NOLOGIN;
    END IF;
END
$$;

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
/* Ownership and PUBLIC. Runs after every object and grant exists (install.sql), and again at
   the end of every revision that adds objects: each object in schema calib, the schema
   itself included, is handed to calib_owner (roles.sql), and PUBLIC keeps no right on any
   of them. Owner changes keep the grants already made (their grantor becomes calib_owner).
   The rules it follows are the PostgreSQL manual's "Writing SECURITY DEFINER Functions
   Safely"; every function also pins search_path = pg_catalog, pg_temp in its own file.
   The installing role must be able to hand objects over: a superuser, or a member of
   calib_owner. Checked first, so that a refused install says why. */
DO $$
DECLARE
    r record;
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'calib_owner', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('role %I cannot hand calibcert''s objects to calib_owner',
                                        current_user),
            HINT = pg_catalog.format('Install as a superuser, or first run (as a role with '
                'CREATEROLE): CREATE ROLE calib_owner NOLOGIN; GRANT calib_owner TO %I;',
                current_user);
    END IF;
    EXECUTE 'ALTER SCHEMA calib OWNER TO calib_owner';
    /* Tables, views, sequences not owned by a column (an identity sequence follows its
       table) and composite types of their own; then every function. */
    FOR r IN SELECT c.relname, c.relkind FROM pg_catalog.pg_class AS c
             WHERE c.relnamespace = 'calib'::regnamespace
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                               WHERE d.classid = 'pg_catalog.pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
             ORDER BY c.relname LOOP
        EXECUTE pg_catalog.format(
            CASE r.relkind WHEN 'S' THEN 'ALTER SEQUENCE calib.%I OWNER TO calib_owner'
                           WHEN 'v' THEN 'ALTER VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'm' THEN 'ALTER MATERIALIZED VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'f' THEN 'ALTER FOREIGN TABLE calib.%I OWNER TO calib_owner'
                           ELSE 'ALTER TABLE calib.%I OWNER TO calib_owner' END,
            r.relname);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_catalog.pg_type AS t
             WHERE t.typnamespace = 'calib'::regnamespace AND t.typrelid = 0
               AND t.typelem = 0 AND t.typtype IN ('c', 'd', 'e', 'r')
             ORDER BY t.typname LOOP
        EXECUTE pg_catalog.format('ALTER TYPE calib.%I OWNER TO calib_owner', r.typname);
    END LOOP;
    FOR r IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
             FROM pg_catalog.pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace
             ORDER BY p.proname, args LOOP
        /* The identity arguments are PostgreSQL's own rendering of the signature (quoted
           where needed); the name goes through %I. */
        EXECUTE pg_catalog.format('ALTER ROUTINE calib.%I(%s) OWNER TO calib_owner',
                                  r.proname, r.args);
    END LOOP;
END
$$;
/* PUBLIC may not use the schema, nor execute any function: neither those that exist now nor
   those that calib_owner creates later (default privileges are per creating role; a
   function that a later revision creates as another role is covered by the REVOKE below,
   which that revision runs again). Functions are granted to the service roles one by one in
   schema/grants.sql. */
REVOKE ALL ON SCHEMA calib FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE calib_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

