CREATE OR REPLACE FUNCTION calib._visible(p_created bigint, p_removed bigint, p_epoch bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The visibility rule of history, the one place it is written: a version created by change
   p_created and removed by change p_removed (NULL: still current) is visible as of epoch
   p_epoch when its creating change committed with an epoch <= p_epoch and its removing
   change, if any, did not (no epoch yet = not committed: the removal does not count, the
   creation does not either). PL/pgSQL, not SQL: a SQL function with a subquery is never
   inlined, and is planned again on every query that calls it; here the two primary-key
   probes of calib.change are planned once per session. Private. */
BEGIN
    RETURN EXISTS (SELECT FROM calib.change AS c
                   WHERE c.change_id OPERATOR(pg_catalog.=) p_created
                     AND c.epoch OPERATOR(pg_catalog.<=) p_epoch)
       AND (p_removed IS NULL
            OR NOT EXISTS (SELECT FROM calib.change AS r
                           WHERE r.change_id OPERATOR(pg_catalog.=) p_removed
                             AND r.epoch OPERATOR(pg_catalog.<=) p_epoch));
END
$$;
