CREATE OR REPLACE FUNCTION calib._visible(p_created bigint, p_removed bigint, p_epoch bigint)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
/* The visibility rule of history, the one place it is written: a version created by change
   p_created and removed by change p_removed (NULL: still current) is visible as of epoch
   p_epoch when its creating change committed with an epoch <= p_epoch and its removing
   change, if any, did not (no epoch yet = not committed: the removal does not count, the
   creation does not either). Inline-only like calib.probe (no SET clause, every name
   schema-qualified): it is planned into the caller's statement, two primary-key probes of
   calib.change per version. Private. */
SELECT EXISTS (SELECT FROM calib.change AS c
               WHERE c.change_id OPERATOR(pg_catalog.=) p_created
                 AND c.epoch OPERATOR(pg_catalog.<=) p_epoch)
   AND NOT EXISTS (SELECT FROM calib.change AS r
                   WHERE r.change_id OPERATOR(pg_catalog.=) p_removed
                     AND r.epoch OPERATOR(pg_catalog.<=) p_epoch)
$$;
