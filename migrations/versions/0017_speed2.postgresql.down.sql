-- FROZEN downgrade of revision 0017, written by migrations/freeze.py from sources/0017_speed2.postgresql.down.sql.
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
SELECT '0016'::text
$function$;
-- Undo revision 0017 on PostgreSQL (source of versions/0017_speed2.postgresql.down.sql).
-- freeze.py puts back what 0017 changed as 0016 had it and drops what it created.
-- pg-fk: the declared foreign keys of calib.certification_version again, without the
-- triggers (freeze.py drops their functions).
DROP TRIGGER certification_version_change_insert ON calib.certification_version;
DROP TRIGGER certification_version_change_update ON calib.certification_version;
DROP TRIGGER change_refs_before_delete ON calib.change;
DROP TRIGGER change_refs_delete ON calib.change;
DROP TRIGGER change_refs_rekey ON calib.change;
DROP TRIGGER change_refs_truncate ON calib.change;
ALTER TABLE calib.certification_version
    ADD CONSTRAINT certification_version_created_fkey FOREIGN KEY (created_change)
        REFERENCES calib.change (change_id),
    ADD CONSTRAINT certification_version_removed_fkey FOREIGN KEY (removed_change)
        REFERENCES calib.change (change_id);
-- pg-fk: end
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._change_refs_check();
DROP FUNCTION calib._version_change_check();
