CREATE OR REPLACE FUNCTION calib._request(p_operation text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Idempotent retries (README "Retention and request ids"): called first by every
   mutating function when the setting calib.request_id is not empty (the functions test
   the setting inline, so that a call without one pays nothing). A request id names one
   change (transaction); a retried transaction carrying it replays the first one's
   results call by call.
   - This transaction already holds the id (its change was claimed by an earlier call):
     NULL, the call runs (and records its result: calib._request_result).
   - A committed change holds it: replay. Returns {"op", "result"} of the call at the same
     position in that change (the n-th mutating call of this transaction gets the n-th
     result); the caller returns that result and changes nothing. The change must be the
     caller's own role's (calib._caller()): another role's id is refused without showing
     its result. A call that does not match (another operation, or more calls than the
     change made) is refused: the retry is not the same request.
   - Nobody holds it: this transaction's change is created now and claims the id (the
     unique index change_request_id_key). If an uncommitted transaction holds it, the
     claim waits for it (bounded by calib.lock_timeout): it committed -> replay as above;
     it rolled back -> the claim succeeds and the call runs. Under REPEATABLE READ or
     SERIALIZABLE a change committed after the snapshot cannot be read: 40001, retry.
   The setting must be in place before the transaction's first change: a transaction
   whose change has no or another request id is refused (request_id_late).
   While replaying, the position of the next call is kept in the transaction-local setting
   calib._replay_call, with the transaction's start (transaction_timestamp(), as epoch
   seconds): a value this transaction's calls did not leave (set by hand, or not of the
   form) is ignored and the call takes the way above (revision 0019; before, '0' set by hand
   skipped the role check and 'x' gave a raw 22P02). Not the transaction id, as
   calib._change has it: a replay writes nothing, and taking an id would make its commit
   write and flush WAL. Whatever the setting holds, the replayed change is checked on every
   call to be this request id's and the caller's role's: a caller who writes its own
   transaction's start there can at most replay its own role's recorded results out of
   order, which change nothing and which it may SELECT anyway.
   Arguments: p_operation: the public function's name, as calib._operation has it.
   Returns: NULL (run the call) or the recorded {"op", "result"} to return.
   Errors: KC015 request_id_invalid (longer than 200 characters), KC015 request_id_late,
   KC015 request_id_foreign (another role's change), KC015 request_id_mismatch,
   40001 (the holder committed after this transaction's snapshot), 55P03 (wait
   'request_id') when the holder does not end within calib.lock_timeout.
   Locks: this transaction's change row; waits for a concurrent holder of the same id. */
DECLARE
    v_id text := nullif(current_setting('calib.request_id', true), '');
    v_mine text := current_setting('calib._change', true);
    v_change calib.change;
    v_n integer;
    v_old text;
    v_claimed boolean := false;
    v_step jsonb;
    v_replay text[];
BEGIN
    IF v_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF length(v_id) > 200 THEN
        IF calib._raise('KC015',
            format('request id must be at most 200 characters, not %s', length(v_id)),
            jsonb_build_object('kind', 'request_id_invalid', 'length', length(v_id))) IS NULL THEN END IF;
    END IF;
    /* Replaying already (an earlier call of this transaction found the id committed and
       left the next position, with this transaction's start). */
    v_replay := regexp_match(current_setting('calib._replay_call', true), '^([0-9]{1,9}) (\S+)$');
    IF v_replay[2] = extract(epoch FROM transaction_timestamp())::text THEN
        SELECT * INTO v_change FROM calib.change AS c
        WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
        IF FOUND THEN
            v_n := v_replay[1]::integer;
        END IF;
    END IF;
    IF v_n IS NULL THEN
        /* This transaction's own change, if it has one (the same check as calib._change). */
        IF v_mine ~ '^[0-9]{1,18}$' THEN
            SELECT * INTO v_change FROM calib.change AS c
            WHERE c.change_id = v_mine::bigint AND c.xid = pg_current_xact_id();
            IF FOUND THEN
                IF v_change.request_id IS DISTINCT FROM v_id THEN
                    IF calib._raise('KC015',
                        format('request id %L set after this transaction''s first change: set calib.request_id before the first call', v_id),
                        jsonb_build_object('kind', 'request_id_late', 'request_id', v_id)) IS NULL THEN END IF;
                END IF;
                RETURN NULL;  -- ours: the call runs
            END IF;
        END IF;
        SELECT * INTO v_change FROM calib.change AS c
        WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
        IF NOT FOUND THEN
            v_old := calib._bound_waits();
            BEGIN
                /* The claim: a concurrent holder makes this UPDATE wait on the unique index
                   until it ends. */
                v_mine := calib._change()::text;  -- its own statement: the UPDATE's
                -- snapshot would not see a row its WHERE clause inserted
                UPDATE calib.change SET request_id = v_id WHERE change_id = v_mine::bigint;
                v_claimed := true;
            EXCEPTION
                WHEN unique_violation THEN
                    NULL;  -- the holder committed: undone (change row and setting), replay below
                WHEN lock_not_available THEN
                    IF calib._lock_timeout('request_id',
                        format('request id %L, held by a transaction that has not ended', v_id),
                        jsonb_build_object('request_id', v_id)) IS NULL THEN END IF;
            END;
            PERFORM set_config('lock_timeout', v_old, true);
            IF v_claimed THEN
                RETURN NULL;
            END IF;
            /* A new statement: in READ COMMITTED it sees the holder's commit. */
            SELECT * INTO v_change FROM calib.change AS c
            WHERE c.request_id = v_id AND c.epoch IS NOT NULL;
            IF NOT FOUND THEN
                IF calib._raise('40001',
                    format('request id %L was committed by another transaction after this transaction''s snapshot; retry', v_id),
                    jsonb_build_object('kind', 'request_id_snapshot', 'request_id', v_id)) IS NULL THEN END IF;
            END IF;
        END IF;
        v_n := 0;
    END IF;
    /* On the replay way too: a replay of another role's change is refused, whatever the
       settings say. */
    IF v_change.db_role IS DISTINCT FROM calib._caller() THEN
        IF calib._raise('KC015',
            format('request id %L belongs to a change of another role: choose another request id', v_id),
            jsonb_build_object('kind', 'request_id_foreign', 'request_id', v_id)) IS NULL THEN END IF;
    END IF;
    v_step := v_change.results -> v_n;
    IF v_step IS NULL OR v_step ->> 'op' IS DISTINCT FROM p_operation THEN
        IF calib._raise('KC015',
            format('request id %L was committed at epoch %s, whose call %s was %s, not %s: a retry must repeat the same calls',
                   v_id, v_change.epoch, v_n + 1, coalesce(v_step ->> 'op', 'none'), p_operation),
            jsonb_build_object('kind', 'request_id_mismatch', 'request_id', v_id,
                               'epoch', v_change.epoch, 'call', v_n + 1,
                               'recorded', v_step ->> 'op', 'operation', p_operation)) IS NULL THEN END IF;
    END IF;
    PERFORM set_config('calib._replay_call',
                       (v_n + 1)::text || ' ' || extract(epoch FROM transaction_timestamp())::text, true);
    RETURN v_step;
END
$$;
