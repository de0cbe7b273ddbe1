-- FROZEN downgrade of revision 0013, written by migrations/freeze.py from sources/0013_digest.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._revision()
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0012'::text
$function$;
-- Undo revision 0013 on PostgreSQL (source of versions/0013_digest.postgresql.down.sql).
-- freeze.py puts calib._revision back as 0012 had it and drops the three functions 0013
-- created (their grants and comment go with them); nothing else to undo.
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._digest_rows(integer,text);
DROP FUNCTION calib.collection_digest(text);
