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
