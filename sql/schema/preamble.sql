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
   can drop neither, nor lose them to DROP SCHEMA public CASCADE). Only when btree_gist is
   not installed yet: a database that has it elsewhere (in public, before revision 0019)
   keeps it there, as other users of the database may rely on it; README "For DBAs" says
   how to move it. calib.check_integrity() reports a guard that went missing. */
SET search_path = pg_catalog, pg_temp;
DO $calibcert_btree_gist$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'btree_gist') THEN
        CREATE SCHEMA IF NOT EXISTS calib_ext;
        CREATE EXTENSION btree_gist WITH SCHEMA calib_ext;
    END IF;
END
$calibcert_btree_gist$;
