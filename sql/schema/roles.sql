/* Roles. Roles are cluster-wide, databases are not: several databases of one cluster may
   carry calibcert, and a grant of a role reaches every database that grants that role
   anything. So each database's service roles carry a name prefix chosen at its first
   install, or at the upgrade to revision 0012 (README "Roles"): the custom setting
   calib.role_prefix (default 'calib', which gives the contract's names), kept in the
   one-row table calib.installation so that every later revision and function uses the
   same roles. A database installed with prefix
   'survey2' has survey2_reader, survey2_certifier and survey2_admin, a hierarchy by
   membership (admin ⊃ certifier ⊃ reader: a grant of one role suffices); schema/grants.sql
   grants them, and only them. With the default prefix, calib_writer (the role of revisions
   up to 0011) stays as a member of calib_certifier, so that existing grants keep working.
   calib_owner owns every calibcert object (schema/security.sql hands them over) and is
   shared by the databases of the cluster: it has no LOGIN and can act only inside a
   database whose SECURITY DEFINER function runs. It must hold no power beyond calibcert's
   own tables, so a mistake in a function grants a caller calibcert's tables, never the
   cluster. An existing calib_owner (made by another calibcert database of the cluster, or
   by a DBA beforehand) is checked, never trusted: installing refuses a powerful one. */
CREATE TABLE IF NOT EXISTS calib.installation (
    singleton   boolean NOT NULL DEFAULT true,
    role_prefix text NOT NULL,
    CONSTRAINT installation_pkey PRIMARY KEY (singleton),
    CONSTRAINT installation_singleton_check CHECK (singleton),
    /* A prefix that makes plain lower-case role names a DBA can type unquoted, short enough
       for the longest name (<prefix>_certifier, 63 bytes at most), and never pg_*
       (reserved by PostgreSQL). */
    CONSTRAINT installation_role_prefix_check
        CHECK (role_prefix ~ '^[a-z_][a-z0-9_]{0,52}$' AND role_prefix !~ '^pg(_|$)')
);
COMMENT ON TABLE calib.installation IS
    'One row: the role-name prefix chosen at the first install (setting calib.role_prefix, '
    'default calib). The service roles of this database are <prefix>_reader, '
    '<prefix>_certifier and <prefix>_admin (README "Roles"). Never changed after install.';
DO $$
DECLARE
    v_wanted text := NULLIF(pg_catalog.current_setting('calib.role_prefix', true), '');
    v_prefix text;
    v_bad text;
    v_role text;
    v_pair text[];
BEGIN
    SELECT i.role_prefix INTO v_prefix FROM calib.installation AS i;
    IF v_prefix IS NULL THEN
        BEGIN
            INSERT INTO calib.installation (role_prefix)
            VALUES (COALESCE(v_wanted, 'calib'))
            RETURNING role_prefix INTO v_prefix;
        EXCEPTION WHEN check_violation THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = pg_catalog.format('calib.role_prefix %L is not a role-name prefix: '
                    'it must be 1-53 lower-case letters, digits or _, not start with a digit, '
                    'and not be pg or start with pg_', v_wanted),
                HINT = 'For example: SET calib.role_prefix = ''survey2'' (or calibcert db '
                    'upgrade --role-prefix survey2) before the first install.';
        END;
    ELSIF v_wanted IS NOT NULL AND v_wanted <> v_prefix THEN
        /* The prefix names the roles every grant of this database went to: changing it
           would silently take the database away from every service. */
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = pg_catalog.format('this database''s calibcert roles have the prefix %s, '
                'chosen at its first install; calib.role_prefix = %L cannot change it',
                v_prefix, v_wanted),
            HINT = 'Leave calib.role_prefix unset (or set it to the installed prefix) to upgrade.';
    END IF;

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

    /* The service roles (an existing one, made by a DBA beforehand, is used as it is). */
    FOREACH v_role IN ARRAY ARRAY[v_prefix || '_reader', v_prefix || '_certifier',
                                  v_prefix || '_admin'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
    IF v_prefix = 'calib'
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_writer') THEN
        CREATE ROLE calib_writer NOLOGIN;
    END IF;
    /* The hierarchy: each pair is (member, role it is granted). calib_writer, for grants
       made before revision 0012, is a certifier (it lost the admin functions). */
    FOREACH v_pair SLICE 1 IN ARRAY ARRAY[
            [v_prefix || '_certifier', v_prefix || '_reader'],
            [v_prefix || '_admin', v_prefix || '_certifier']]
            || CASE WHEN v_prefix = 'calib' THEN ARRAY[['calib_writer', 'calib_certifier']]
                    ELSE '{}'::text[] END LOOP
        IF NOT pg_catalog.pg_has_role(v_pair[1], v_pair[2], 'MEMBER') THEN
            EXECUTE pg_catalog.format('GRANT %I TO %I', v_pair[2], v_pair[1]);
        END IF;
    END LOOP;
END
$$;
