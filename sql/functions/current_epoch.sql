CREATE OR REPLACE FUNCTION calib.current_epoch()
RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The latest committed epoch (0 before any change): everything as of it is final, whatever
   commits later or concurrently (epochs follow commit order: calib._stamp_epoch).
   Errors: none.
   Locks: none; read-only, runs on a hot standby. */
SELECT coalesce(max(c.epoch), 0) FROM calib.change AS c
$$;
