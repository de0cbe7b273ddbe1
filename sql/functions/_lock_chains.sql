CREATE OR REPLACE FUNCTION calib._lock_chains()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Serialises changes of the chain graph (set_chain, remove_collection, copy of a chain) so
   that two concurrent set_chain calls cannot each pass the cycle check and together make a
   cycle. SHARE ROW EXCLUSIVE conflicts with itself and with writes, not with reads.
   Taken before any collection row lock. The wait is bounded (calib._bound_waits) and ends
   with 55P03 (kind lock_timeout, wait chain_graph).
   Errors: 55P03 when the wait times out; KC015 a malformed calib.lock_timeout. */
DECLARE
    v_old text;
BEGIN
    v_old := calib._bound_waits();
    BEGIN
        LOCK TABLE calib.collection_chain IN SHARE ROW EXCLUSIVE MODE;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('chain_graph', 'the chain lock (calib.collection_chain), held by another transaction',
                               '{}') IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
END
$$;
