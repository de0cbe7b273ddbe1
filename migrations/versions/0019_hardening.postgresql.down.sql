-- FROZEN downgrade of revision 0019, written by migrations/freeze.py from sources/0019_hardening.postgresql.down.sql.
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
SELECT '0018'::text
$function$;
-- Undo revision 0019 on PostgreSQL (source of versions/0019_hardening.postgresql.down.sql).
-- freeze.py puts back what 0019 changed as 0018 had it and drops what it created.
-- sec-install: begin
-- sec-install: end
-- sec-locks: begin
-- sec-locks: end
-- lead: begin
-- lead: end
