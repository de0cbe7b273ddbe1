CREATE OR REPLACE FUNCTION calib._snapshot_ids(p_source_id integer, p_data_id_key integer, p_span tstzrange, p_epoch bigint)
RETURNS uuid[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* What a snapshot member answers in calib.probe (revision 0014): the lookup rule applied to
   its source as of the snapshot's epoch (calib._probe_as_of): the deciding member's
   dataset, twice when it has more than one match (so that probe's ids[2] says
   "ambiguous"), NULL when no member matches.
   Arguments: p_source_id the snapshot's source (calib.snapshot.source_id), p_data_id_key
   the data ID's key, p_span the time (NULL skips CALIBRATION members), p_epoch the
   snapshot's epoch.
   Returns: NULL, one dataset id, or the same id twice.
   Locks: none; read-only.
   Errors: none of its own.
   Why a function of its own, not calib._probe_as_of inlined into calib.probe: an inlined
   branch puts the version tables and their indexes into every cached lookup plan, and
   each execution then locks and opens them even when no member is a snapshot (measured:
   +100 us on a find through a chain of 3 members); a call in a one-time-filtered branch
   costs nothing until a snapshot is met. SECURITY DEFINER: calib.probe runs with its
   caller's rights, so the reader role is granted this one read-only helper (an as-of
   lookup, which readers may make anyway) rather than the as-of rule's own helpers.
   force_generic_plan: planned once per session, like calib._probe_all_as_of. */
BEGIN
    RETURN (SELECT CASE WHEN p.ambiguous THEN ARRAY[p.dataset_id, p.dataset_id]
                        ELSE ARRAY[p.dataset_id] END
            FROM calib._probe_as_of(p_source_id, p_data_id_key, p_span, p_epoch) AS p);
END
$$;
