/* The first statements of every install and upgrade (sql/install.sql, and
   migrations/env.py before any revision, online and in `calibcert db upgrade --sql`).

   The path: DDL resolves the names it calls once, at creation, under the session's
   search_path, and stores the OID for good (a CHECK, an index expression, a trigger's WHEN,
   a column default). With the installer's own path, a function planted in public with an
   exact argument type (public.lower(tstzrange)) beats pg_catalog's polymorphic one
   (lower(anyrange)) even with pg_catalog first, and would then run as calib_owner on every
   write. No schema anyone else can create in may be on the path at all: pg_catalog, then
   the session's own temporary schema, last. Plain SET (not SET LOCAL): it holds for the
   rest of the session, also for a script run by psql without -1.

   btree_gist (the exclusion constraint's equality on integer keys): with that path no
   schema is there to create an extension in, so it gets its own, calib_ext, created by the
   installer (who then owns it and the extension: a database owner who is not the installer
   can drop neither, nor lose them to DROP SCHEMA public CASCADE; a calib_ext that another
   role, not a superuser, made beforehand is refused, 42501). Only when btree_gist is
   not installed yet: a database that has it elsewhere (in public, before revision 0019)
   keeps it there, as other users of the database may rely on it; README "For DBAs" says
   how to move it. calib.check_integrity() reports a guard that went missing. */
SET search_path = pg_catalog, pg_temp;
DO $calibcert_btree_gist$
DECLARE
    v_owner name;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'btree_gist') THEN
        CREATE SCHEMA IF NOT EXISTS calib_ext;
        /* A calib_ext made beforehand by another role (the database owner can) would leave
           btree_gist, and with it the exclusion constraint, at that role's mercy. */
        SELECT pg_catalog.pg_get_userbyid(n.nspowner) INTO v_owner
        FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'calib_ext';
        IF v_owner <> current_user
           AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = v_owner)
        THEN
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = pg_catalog.format('schema calib_ext belongs to role %I, not to the '
                    'installer: btree_gist in it would be at that role''s mercy', v_owner),
                HINT = pg_catalog.format('Drop that schema, or first run (as a superuser): '
                    'ALTER SCHEMA calib_ext OWNER TO %I;', current_user);
        END IF;
        CREATE EXTENSION btree_gist WITH SCHEMA calib_ext;
    END IF;
END
$calibcert_btree_gist$;
