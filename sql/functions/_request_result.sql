CREATE OR REPLACE FUNCTION calib._request_result(p_operation text, p_result jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Records what a mutating call returned, for a retry of its request (calib._request):
   appends {"op": p_operation, "result": p_result} to the results of this transaction's
   change when that change carries the request id in calib.request_id (the functions call
   it only when the setting is not empty). A replaying transaction has no change of its
   own with the id: nothing is recorded.
   Arguments: p_operation: the function's name; p_result: its result as jsonb (null for
   void).
   Errors: none. Locks: this transaction's change row (already its own). */
DECLARE
    v_mine text := current_setting('calib._change', true);
    v_id text := nullif(current_setting('calib.request_id', true), '');
BEGIN
    IF v_id IS NULL OR v_mine !~ '^[0-9]{1,18}$' THEN
        RETURN;
    END IF;
    UPDATE calib.change AS c
    SET results = coalesce(c.results, '[]'::jsonb)
                  || jsonb_build_array(jsonb_build_object('op', p_operation,
                                                          'result', coalesce(p_result, 'null'::jsonb)))
    WHERE c.change_id = v_mine::bigint AND c.xid = pg_current_xact_id() AND c.request_id = v_id;
END
$$;
