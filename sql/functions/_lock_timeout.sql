CREATE OR REPLACE FUNCTION calib._lock_timeout(p_wait text, p_waiting_for text, p_facts jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The one error of a bounded wait that ran out (calib._bound_waits), raised from the one
   handler shape every wait site has:

       v_old := calib._bound_waits();
       BEGIN
           <the statement that may wait>;
       EXCEPTION WHEN lock_not_available THEN
           IF calib._lock_timeout('<wait>', <what, as text>, <facts>) IS NULL THEN END IF;
       END;
       PERFORM set_config('lock_timeout', v_old, true);

   p_wait names the kind of wait (collection, chain_graph, collection_name,
   dataset_type_name, dimension, data_id, dataset_id); p_waiting_for says what was waited
   for, as the message prints it; p_facts holds the same facts for programs (the
   collection, dataset type, names, data IDs or ids). The DETAIL also carries the bound
   that ran out (lock_timeout, as in effect: the handler runs before it is put back).
   Errors: 55P03 (lock_not_available), always. */
BEGIN
    IF calib._raise('55P03',
        format('lock timeout: gave up after %s waiting for %s; nothing was changed, retry',
               current_setting('lock_timeout'), p_waiting_for),
        coalesce(p_facts, '{}')
            || jsonb_build_object('kind', 'lock_timeout', 'wait', p_wait,
                                  'waiting_for', p_waiting_for,
                                  'lock_timeout', current_setting('lock_timeout'))) IS NULL THEN END IF;
END
$$;
