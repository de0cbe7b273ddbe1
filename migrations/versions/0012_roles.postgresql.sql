-- FROZEN upgrade of revision 0012, written by migrations/freeze.py from sources/0012_roles.postgresql.sql.
-- Never edit by hand.
-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_roles.postgresql.sql (issue 15, items 2 and 6). Three service roles
-- per database, a hierarchy by membership: <prefix>_reader ⊂ <prefix>_certifier ⊂
-- <prefix>_admin, the prefix chosen at the first install (setting calib.role_prefix,
-- default calib) and kept in the new one-row table calib.installation; an existing
-- database gets the default prefix, so its roles keep their names (or the prefix given to
-- this upgrade: it then moves to new roles, and calib_reader / calib_writer keep nothing
-- in it). calib_writer, which held
-- every mutating function directly, becomes a member of calib_certifier and holds nothing
-- of its own: an existing writer keeps every content change but loses
-- register_collection, remove_collection, register_dataset_type and set_chain (README
-- "Roles", upgrade note). No function changes; no row changes. SQLite: no roles, no change.
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

/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). No role but calib_owner may
   write a table: the service roles get SELECT at most.
   The roles are this database's (schema/roles.sql: <prefix>_reader, _certifier, _admin,
   prefix from calib.installation), a hierarchy by membership, so each function is granted
   once, to the lowest role that may call it (README "Roles"):
   - reader: lookups and listings, SELECT on every table;
   - certifier: also the changes to collections' content (datasets, tags, certifications,
     copies);
   - admin: also what shapes the registry: collections, dataset types, chains (and states,
     writer lists).
   calib_writer (default prefix only) holds nothing directly: it is a member of
   calib_certifier. Each role's privileges on calibcert's objects are first revoked, then
   granted: the result is exactly these lists, whatever an earlier revision granted (up to
   0011, calib_writer held every mutating function directly; a database given another
   prefix at its upgrade to 0012 keeps nothing for calib_reader and calib_writer). Private helpers (names
   starting with _) are not granted to anyone. Each JSON-document and all-text form of a
   function (README "Calling from another service") gets the grant of its typed form.
   PUBLIC gets nothing: schema/security.sql revokes what PostgreSQL gives it by default and
   hands every object to calib_owner. Role names go through %I; a function signature is
   cast to regprocedure (so a typo fails the install) and printed by PostgreSQL itself. */
DO $$
DECLARE
    v_prefix text := (SELECT i.role_prefix FROM calib.installation AS i);
    v_reader text := v_prefix || '_reader';
    v_certifier text := v_prefix || '_certifier';
    v_admin text := v_prefix || '_admin';
    v_role text;
    v_function regprocedure;
    v_elsewhere text;
BEGIN
    /* This database's roles, and the shared roles of revisions up to 0011 (calib_reader,
       calib_writer) when the database moved to another prefix at its upgrade to 0012. */
    FOR v_role IN SELECT r.rolname FROM pg_catalog.pg_roles AS r
                  WHERE r.rolname IN (v_reader, v_certifier, v_admin, 'calib_reader', 'calib_writer')
                  ORDER BY r.rolname LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL TABLES IN SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM %I', v_role);
    END LOOP;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA calib TO %I', v_reader);
    EXECUTE pg_catalog.format('GRANT SELECT ON ALL TABLES IN SCHEMA calib TO %I', v_reader);

    -- reader: lookups and listings.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.find(text, text, jsonb, timestamptz)',
        'calib.find(text, text, jsonb, tstzrange)',
        'calib.find(text, text, text, text)',
        'calib.find(text, text, jsonb, text)',
        'calib.find_many(text, text, jsonb[], timestamptz[])',
        'calib.find_many(text, text, jsonb[], tstzrange[])',
        'calib.find_many(text, text, jsonb, jsonb)',
        'calib.find_many(text, text, text, text)',
        'calib.certifications(text, text)',
        'calib.query_datasets(text, text, jsonb)',
        'calib.query_datasets(text, text, text)',
        'calib.get_datasets(uuid[])',
        'calib.get_datasets(jsonb)',
        'calib.get_datasets(text)',
        'calib.get_chain(text)',
        'calib.list_collections(text)',
        'calib.list_dataset_types()',
        'calib.probe(integer, integer, tstzrange)'
        -- (lead: check_integrity(), collection_stats() go here)
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_reader);
    END LOOP;

    -- certifier: changes to the content of collections.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.insert_datasets(text, text, jsonb[], uuid[])',
        'calib.insert_datasets(text, text, jsonb, jsonb)',
        'calib.insert_datasets(text, text, text, text)',
        'calib.tag(text, uuid[])',
        'calib.tag(text, jsonb)',
        'calib.tag(text, text)',
        'calib.untag(text, uuid[])',
        'calib.untag(text, jsonb)',
        'calib.untag(text, text)',
        'calib.certify(text, uuid[], tstzrange, boolean)',
        'calib.certify(text, jsonb, tstzrange, boolean)',
        'calib.certify(text, text, text, text)',
        'calib.certify_series(text, uuid[], timestamptz[], boolean)',
        'calib.certify_series(text, jsonb, jsonb, boolean)',
        'calib.certify_series(text, text, text, text)',
        'calib.decertify(text, text, tstzrange, jsonb[])',
        'calib.decertify(text, text, tstzrange, jsonb)',
        'calib.decertify(text, text, text, text)',
        'calib.close_open_range(text, text, timestamptz, jsonb[])',
        'calib.close_open_range(text, text, timestamptz, jsonb)',
        'calib.close_open_range(text, text, text, text)',
        'calib.copy_collection(text, text, text)'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_certifier);
    END LOOP;

    -- admin: the registry's shape.
    FOREACH v_function IN ARRAY ARRAY[
        'calib.register_collection(text, text, text)',
        'calib.remove_collection(text)',
        'calib.set_chain(text, text[])',
        'calib.set_chain(text, jsonb)',
        'calib.set_chain(text, text)',
        'calib.register_dataset_type(text, text[], boolean)',
        'calib.register_dataset_type(text, jsonb, boolean)',
        'calib.register_dataset_type(text, text, text)'
        -- (lead: set_collection_state, set_collection_writers (every form), revert go here)
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, v_admin);
    END LOOP;

    /* Two calibcert databases of one cluster installed with the same prefix share their
       roles: a grant of one of them made for either database reaches both. Not an error
       (a database cloned from a template shares them on purpose), but the DBA is told,
       from the shared catalog's record of privileges held in other databases. */
    SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(d.datname), ', ')
    INTO v_elsewhere
    FROM pg_catalog.pg_shdepend AS s
    JOIN pg_catalog.pg_database AS d ON d.oid = s.dbid
    WHERE s.deptype = 'a' AND s.refclassid = 'pg_catalog.pg_authid'::regclass
      AND s.refobjid IN (SELECT r.oid FROM pg_catalog.pg_roles AS r
                         WHERE r.rolname IN (v_reader, v_certifier, v_admin))
      AND d.datname <> pg_catalog.current_database();
    IF v_elsewhere IS NOT NULL THEN
        RAISE WARNING USING
            MESSAGE = pg_catalog.format('calibcert roles %s, %s and %s also hold privileges in '
                'database(s) %s: a grant of these roles reaches both databases',
                v_reader, v_certifier, v_admin, v_elsewhere),
            HINT = 'To grant this database separately, install it with its own role prefix '
                '(SET calib.role_prefix = ''name'', or calibcert db upgrade --role-prefix '
                'name, before the first install; README "Roles").';
    END IF;
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

