CREATE OR REPLACE FUNCTION calib._revision()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0019'::text
$$;
