CREATE OR REPLACE FUNCTION calib._bound_waits()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The bound of every wait inside a calib function, in one place (README "Locks, waits and
   retries"). Sets lock_timeout for the rest of the transaction (SET LOCAL) to the bound
   and returns the value it had, which the caller puts back once its wait is over
   (set_config(..., true)); if the wait fails instead, the error undoes the SET LOCAL with
   the (sub)transaction, so the session's own value is never changed.
   The bound is calib.lock_timeout (a custom setting, default '10s'), or the session's own
   lock_timeout when that is set and shorter: a session may shorten its waits, never
   lengthen them past calib.lock_timeout (a long waiter queued for a row also holds up
   every writer queued behind it). calib.lock_timeout = '0' means "do not wait": the bound
   is 1ms, the smallest PostgreSQL has; it never means "wait forever".
   Values as PostgreSQL writes times for settings: a number with an optional unit us, ms,
   s, min, h or d (no unit: milliseconds).
   Errors: KC015 calib.lock_timeout is not such a time.
   Locks: none. */
DECLARE
    v_old text := current_setting('lock_timeout');
    v_setting text := coalesce(nullif(current_setting('calib.lock_timeout', true), ''), '10s');
    v_ms numeric[];
    v_text text;
    v_m text[];
BEGIN
    FOREACH v_text IN ARRAY ARRAY[v_setting, v_old] LOOP
        v_m := regexp_match(v_text, '^\s*([0-9]+(?:\.[0-9]+)?)\s*(us|ms|s|min|h|d)?\s*$');
        IF v_m IS NULL THEN
            /* Only calib.lock_timeout can be malformed: PostgreSQL checked lock_timeout. */
            IF calib._raise('KC015',
                format('calib.lock_timeout must be a time such as ''10s'', ''500ms'' or ''0'' (do not wait), not %L',
                       v_setting),
                jsonb_build_object('kind', 'lock_timeout_setting', 'value', v_setting)) IS NULL THEN END IF;
        END IF;
        v_ms := v_ms || ceil(v_m[1]::numeric * CASE coalesce(v_m[2], 'ms')
            WHEN 'us' THEN 0.001 WHEN 'ms' THEN 1 WHEN 's' THEN 1000 WHEN 'min' THEN 60000
            WHEN 'h' THEN 3600000 ELSE 86400000 END);
    END LOOP;
    /* v_ms[1]: calib.lock_timeout (0: do not wait); v_ms[2]: the session's (0: none). */
    PERFORM set_config('lock_timeout',
        least(greatest(v_ms[1], 1), CASE WHEN v_ms[2] > 0 THEN v_ms[2] END, 2147483647)::bigint
            || 'ms', true);
    RETURN v_old;
END
$$;
