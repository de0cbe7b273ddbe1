CREATE OR REPLACE FUNCTION calib._probe_all_as_of(p_collection_id integer, p_keys integer[], p_spans tstzrange[], p_epoch bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, member_id integer, ambiguous boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* calib._probe_as_of for every query of a lookup as of epoch p_epoch (calib._lookup):
   query i is (p_keys[i], p_spans[i]); a NULL key (a data ID never stored) matches nothing.
   One row per query, in input order. Its own function for one setting: a generic plan.
   A custom plan of this statement was planned again on every call (1.5 ms per find, four
   times the lookup itself); the generic one is planned once per session and probes the
   same indexes (tests/test_pg_history.py checks the plan).
   Errors: none of its own. Locks: none; read-only. */
BEGIN
    RETURN QUERY
    SELECT u.ord, p.dataset_id, p.member_id, p.ambiguous
    FROM unnest(p_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib._probe_as_of(p_collection_id, u.k, u.span, p_epoch) AS p
        ON u.k IS NOT NULL;
END
$$;
