CREATE OR REPLACE FUNCTION calib.list_dataset_types()
RETURNS TABLE (name text, dimensions text[], is_calibration boolean)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every dataset type, by name.
   Locks: none; read-only.
   Errors: none of its own. */
SELECT t.name, t.dimensions, t.is_calibration FROM calib.dataset_type AS t ORDER BY t.name
$$;
